"""RMSProp, plain, centered and with momentum."""

import keras
import numpy as np
import pytest

import optimizers


def _run(optimizer, gradients):
    variable = keras.Variable([1.0])
    for gradient in gradients:
        optimizer.apply([np.array([gradient], "float32")], [variable])
    return variable.numpy()


def test_one_step_by_hand():
    # average_squared_gradient = 0.25 * 2 ** 2 = 1; variable = 1 - 0.5 * 2 / sqrt(1 + 3) = 0.5
    result = _run(optimizers.RMSProp(learning_rate=0.5, rho=0.75, epsilon=3.0), [2.0])
    np.testing.assert_allclose(result, [0.5], rtol=1e-6)


def test_centered_one_step_by_hand():
    # average_squared_gradient = 1, average_gradient = 0.25 * 2 = 0.5;
    # denominator = 1 - 0.5 ** 2 + 0.25 = 1; variable = 1 - 0.5 * 2 / sqrt(1) = 0
    optimizer = optimizers.RMSProp(learning_rate=0.5, rho=0.75, epsilon=0.25, centered=True)
    np.testing.assert_allclose(_run(optimizer, [2.0]), [0.0], atol=1e-7)


def test_momentum_two_steps_by_hand():
    # step 1: increment = 0.5 * 2 / sqrt(1 + 3) = 0.5; velocity = 0.5; variable = 0.5
    # step 2 (gradient 0): increment = 0; velocity = 0.5 * 0.5 = 0.25; variable = 0.25
    optimizer = optimizers.RMSProp(learning_rate=0.5, rho=0.75, momentum=0.5, epsilon=3.0)
    np.testing.assert_allclose(_run(optimizer, [2.0, 0.0]), [0.25], rtol=1e-6)


SETTINGS = [
    {},
    {"centered": True},
    {"momentum": 0.5},
    {"momentum": 0.9, "centered": True, "rho": 0.8, "clipvalue": 0.5},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_rmsprop(assert_same_as_keras, settings):
    assert_same_as_keras(optimizers.RMSProp(**settings), keras.optimizers.RMSprop(**settings))


@pytest.mark.parametrize(("centered", "momentum"), [(False, 0.0), (True, 0.5)])
def test_float64_matches_reference(assert_matches_reference, reference, centered, momentum):
    hyperparameters = {
        "learning_rate": 0.0625,
        "rho": 0.875,
        "momentum": momentum,
        "epsilon": 1e-3,
        "centered": centered,
    }
    assert_matches_reference(
        optimizers.RMSProp(**hyperparameters), reference.rmsprop, **hyperparameters
    )
