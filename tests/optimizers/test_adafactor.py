"""Adafactor: factored second moments, relative scale, update clipping."""

import math
import re

import keras
import numpy as np
import pytest

from optimizers.adafactor import Adafactor, _mean


def _run(optimizer, initial, gradients):
    variable = keras.Variable(np.array(initial, "float32"))
    for gradient in gradients:
        optimizer.apply([np.array(gradient, "float32")], [variable])
    return variable.numpy()


def test_unfactored_steps_by_hand():
    # t = 1: rho = min(0.5, 1) = 0.5, alpha = max(1e-3, rms(1)) * 0.5 = 0.5, beta_2 = 0,
    #   velocity = 2 ** 2 = 4, update = 2 / 2 = 1: variable = 0.5.
    # t = 2, g = 1: alpha = 0.5 * min(0.5, 0.7071) = 0.25, beta_2 = 1 - 2 ** -0.8,
    #   velocity = beta_2 * 4 + (1 - beta_2) * 1, update = 1 / sqrt(velocity) (< 1, unclipped).
    optimizer = Adafactor(learning_rate=0.5)
    np.testing.assert_allclose(_run(optimizer, [1.0], [[2.0]]), [0.5], rtol=1e-6)
    beta_2 = 1 - 2**-0.8
    velocity = beta_2 * 4 + (1 - beta_2)
    expected = 0.5 - 0.25 / math.sqrt(velocity)
    result = _run(Adafactor(learning_rate=0.5), [1.0], [[2.0], [1.0]])
    np.testing.assert_allclose(result, [expected], rtol=1e-6)


def test_update_is_clipped_to_the_threshold():
    # As the first step above, rms(update) = 1 > 0.25: the update becomes 0.25.
    result = _run(Adafactor(learning_rate=0.5, clip_threshold=0.25), [1.0], [[2.0]])
    np.testing.assert_allclose(result, [1 - 0.5 * 0.25], rtol=1e-6)


def test_factored_step_by_hand():
    # g = [[1, 2], [3, 4]] at t = 1 (beta_2 = 0): row sums 5, 25; column sums 10, 20; total 30.
    # velocity = outer(rows, columns) / 30 = [[5/3, 10/3], [25/3, 50/3]], a rank-one fit of
    # g ** 2 = [[1, 4], [9, 16]]; rms(update) = sqrt(0.96) < 1, alpha = 0.5.
    gradient = np.array([[1.0, 2.0], [3.0, 4.0]])
    velocity = np.outer([5.0, 25.0], [10.0, 20.0]) / 30.0
    expected = 1.0 - 0.5 * gradient / np.sqrt(velocity)
    result = _run(Adafactor(learning_rate=0.5), np.ones((2, 2)), [gradient])
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_factored_state_is_row_and_column_only():
    optimizer = Adafactor()
    optimizer.build([keras.Variable(np.zeros((2, 3, 4), "float32"))])
    shapes = [tuple(variable.shape) for variable in optimizer.variables[2:]]
    assert shapes == [(2, 3), (2, 4)]


def test_relative_step_changes_nothing_as_in_keras():
    gradients = [[2.0], [1.0], [-3.0]]
    on = _run(Adafactor(learning_rate=0.9, relative_step=True), [1.0], gradients)
    off = _run(Adafactor(learning_rate=0.9, relative_step=False), [1.0], gradients)
    np.testing.assert_array_equal(on, off)


SETTINGS = [
    {},
    {"learning_rate": 0.1, "beta_2_decay": -0.5, "epsilon_1": 1e-3, "epsilon_2": 0.1},
    {"learning_rate": 0.5, "clip_threshold": 0.5, "relative_step": False, "weight_decay": 0.1},
    {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    {"gradient_accumulation_steps": 3, "clipnorm": 0.5},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_adafactor(assert_same_as_keras, settings):
    assert_same_as_keras(Adafactor(**settings), keras.optimizers.Adafactor(**settings))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "beta_2_decay": -0.75,
        "epsilon_1": 1e-6,
        "epsilon_2": 0.125,
        "clip_threshold": 0.5,
        "weight_decay": 0.125,
    }
    assert_matches_reference(Adafactor(**hyperparameters), reference.adafactor, **hyperparameters)


def _positive_thirds(shape):
    # Not float32 numbers, and positive (a sum without cancellation), as squares are.
    return np.random.default_rng(2).uniform(1.0, 2.0, shape) / 3


def test_keras_reduces_a_float64_mean_in_float32_off_tensorflow():
    # Why `_mean` exists. Keras's JAX and PyTorch `mean` sum with dtype
    # `result_type("float64", "float32")`, float32 there (`BIT64_TO_BIT32_DTYPE`), and
    # cast back: float64 out, float32 accuracy. If this fails, `ops.mean` would do.
    x = _positive_thirds((4, 5))
    error = abs(keras.ops.convert_to_numpy(keras.ops.mean(x)) - x.mean()) / x.mean()
    if keras.backend.backend() == "tensorflow":
        assert error < 1e-14
    else:
        assert 1e-12 < error < 1e-6


@pytest.mark.parametrize(
    ("axis", "keepdims"), [(None, False), (-1, False), (-2, False), (-1, True)]
)
def test_float64_mean_keeps_float64(axis, keepdims):
    x = _positive_thirds((2, 4, 5))
    actual = keras.ops.convert_to_numpy(_mean(keras.ops.convert_to_tensor(x), axis, keepdims))
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual, x.mean(axis=axis, keepdims=keepdims), rtol=1e-14, atol=0)


def test_defaults_and_name_are_keras():
    ours, theirs = Adafactor().get_config(), keras.optimizers.Adafactor().get_config()
    assert ours.pop("name") == "adafactor"
    theirs.pop("name")
    assert ours == theirs


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("beta_2_decay", 0.5),
        ("epsilon_1", -1e-30),
        ("epsilon_2", float("inf")),
        ("clip_threshold", 0.0),
        ("clip_threshold", None),
        ("relative_step", 1),
    ],
)
def test_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value!r}")):
        Adafactor(**{argument: value})
