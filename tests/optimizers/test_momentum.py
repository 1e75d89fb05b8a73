"""Momentum and Nesterov: heavy-ball and Nesterov accelerated gradient."""

import keras
import numpy as np
import pytest

import optimizers


def _two_steps(optimizer):
    variable = keras.Variable([1.0])
    for gradient in (2.0, 1.0):
        optimizer.apply([np.array([gradient], "float32")], [variable])
    return variable.numpy()


def test_two_steps_by_hand():
    # learning_rate 0.5, momentum 0.75, gradients 2 then 1, variable starts at 1:
    # step 1: velocity = 0.75 * 0 - 0.5 * 2 = -1;       variable = 1 + (-1) = 0
    # step 2: velocity = 0.75 * (-1) - 0.5 * 1 = -1.25; variable = 0 + (-1.25) = -1.25
    result = _two_steps(optimizers.Momentum(learning_rate=0.5, momentum=0.75))
    np.testing.assert_allclose(result, [-1.25], rtol=1e-6)


def test_nesterov_two_steps_by_hand():
    # step 1: velocity = -1;    variable = 1 + 0.75 * (-1) - 0.5 * 2 = -0.75
    # step 2: velocity = -1.25; variable = -0.75 + 0.75 * (-1.25) - 0.5 * 1 = -2.1875
    result = _two_steps(optimizers.Nesterov(learning_rate=0.5, momentum=0.75))
    np.testing.assert_allclose(result, [-2.1875], rtol=1e-6)


def test_defaults():
    assert optimizers.Momentum().momentum == 0.9
    assert optimizers.Momentum().nesterov is False
    assert optimizers.Nesterov().nesterov is True
    assert optimizers.Nesterov().get_config()["learning_rate"] == pytest.approx(0.01)


@pytest.mark.parametrize("nesterov", [False, True])
def test_float32_equals_keras_sgd_with_momentum(assert_same_as_keras, nesterov):
    assert_same_as_keras(
        optimizers.Momentum(nesterov=nesterov),
        keras.optimizers.SGD(momentum=0.9, nesterov=nesterov),
    )


def test_float32_equals_keras_with_base_arguments(assert_same_as_keras):
    settings = {"learning_rate": 0.05, "momentum": 0.5, "global_clipnorm": 2.0}
    assert_same_as_keras(optimizers.Momentum(**settings), keras.optimizers.SGD(**settings))


def test_zero_momentum_is_sgd(assert_same_as_keras, random_problem, run_steps):
    # velocity = 0 * velocity - g * lr is exactly -(g * lr): the SGD step, bit for bit,
    # where each operation is rounded on its own (TensorFlow, PyTorch).
    ours, sgd = optimizers.Momentum(momentum=0.0), keras.optimizers.SGD()
    if keras.backend.backend() != "jax":
        assert_same_as_keras(ours, sgd)
        return
    # Under JAX the loop is one XLA program, and XLA fuses the two graphs (ours with
    # the velocity in between, SGD's without) differently, so the roundings differ:
    # measured, 8.4e-7 relative after 100 steps (a few float32 ulps), hence 1e-5.
    initial, gradients = random_problem("float32")
    expected = run_steps(sgd, initial, gradients)
    for actual, want in zip(run_steps(ours, initial, gradients), expected, strict=True):
        np.testing.assert_allclose(actual, want, rtol=1e-5)


@pytest.mark.parametrize("nesterov", [False, True])
def test_float64_matches_reference(assert_matches_reference, reference, nesterov):
    hyperparameters = {
        "learning_rate": 0.0625,
        "momentum": 0.875,
        "nesterov": nesterov,
        "weight_decay": 0.125,
    }
    assert_matches_reference(
        optimizers.Momentum(**hyperparameters), reference.momentum, **hyperparameters
    )
