"""LAMB: Adam's direction scaled per variable by the trust ratio."""

import math

import keras
import numpy as np
import pytest

from optimizers.lamb import Lamb

HAND = {"learning_rate": 0.5, "beta_1": 0.5, "beta_2": 0.75, "epsilon": 0.0}


def _step(initial, gradient):
    variable = keras.Variable(np.array(initial, "float32"))
    Lamb(**HAND).apply([np.array(gradient, "float32")], [variable])
    return variable.numpy()


def test_one_step_by_hand():
    # g = (1, -2): momentum = (0.5, -1), velocity = (0.25, 1); bias-corrected (1, -2) and
    # (1, 4), so update = (1, -1) with norm sqrt(2). The variable (3, 4) has norm 5:
    # ratio = 5 / sqrt(2), step = 0.5 * ratio * (1, -1) = (1.7677670, -1.7677670).
    step = 0.5 * 5 / math.sqrt(2)
    np.testing.assert_allclose(_step([3.0, 4.0], [1.0, -2.0]), [3 - step, 4 + step], rtol=1e-6)


def test_zero_variable_takes_the_plain_step():
    # norm(variable) = 0: ratio 1, the step is learning_rate * update = (0.5, -0.5).
    np.testing.assert_allclose(_step([0.0, 0.0], [1.0, -2.0]), [-0.5, 0.5], rtol=1e-6)


def test_zero_gradient_leaves_the_variable():
    # update = 0 / (0 + 0) would be NaN with epsilon 0; with epsilon the update is 0, the
    # ratio falls back to 1 and nothing moves.
    variable = keras.Variable(np.array([3.0, 4.0], "float32"))
    Lamb(epsilon=1e-7).apply([np.zeros(2, "float32")], [variable])
    np.testing.assert_array_equal(variable.numpy(), [3.0, 4.0])


SETTINGS = [
    {},
    {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3, "weight_decay": 0.1},
    {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    {"gradient_accumulation_steps": 3, "clipnorm": 0.5},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_lamb(assert_same_as_keras, settings):
    assert_same_as_keras(Lamb(**settings), keras.optimizers.Lamb(**settings))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "beta_1": 0.875,
        "beta_2": 0.9375,
        "epsilon": 1e-3,
        "weight_decay": 0.125,
    }
    assert_matches_reference(Lamb(**hyperparameters), reference.lamb, **hyperparameters)


def test_defaults_and_name_are_keras():
    ours, theirs = Lamb().get_config(), keras.optimizers.Lamb().get_config()
    assert ours.pop("name") == "lamb"
    theirs.pop("name")
    assert ours == theirs


@pytest.mark.parametrize(
    ("argument", "value"), [("beta_1", 1.0), ("beta_2", -0.1), ("epsilon", float("nan"))]
)
def test_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=f"Received: {argument}="):
        Lamb(**{argument: value})
