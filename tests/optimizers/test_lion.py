"""Lion: steps of fixed size in the sign of an interpolated momentum."""

import re

import keras
import numpy as np
import pytest

from optimizers.lion import Lion

HAND = {"learning_rate": 0.5, "beta_1": 0.5, "beta_2": 0.75}


def _run(optimizer, gradients):
    variable = keras.Variable([1.0])
    for gradient in gradients:
        optimizer.apply([np.array([gradient], "float32")], [variable])
    return variable.numpy()


def test_two_steps_by_hand():
    # g = 2: sign(0.5 * 0 + 0.5 * 2) = 1, variable = 1 - 0.5 = 0.5; momentum = 0.25 * 2 = 0.5.
    # g = -0.4: sign(0.5 * 0.5 + 0.5 * -0.4) = sign(0.05) = 1 although the gradient is
    # negative: the momentum wins, variable = 0.5 - 0.5 = 0.
    np.testing.assert_array_equal(_run(Lion(**HAND), [2.0]), [0.5])
    np.testing.assert_array_equal(_run(Lion(**HAND), [2.0, -0.4]), [0.0])
    # g = -0.6 instead: sign(0.25 - 0.3) = -1, variable = 0.5 + 0.5 = 1.
    np.testing.assert_array_equal(_run(Lion(**HAND), [2.0, -0.6]), [1.0])


SETTINGS = [
    {},
    {"learning_rate": 0.01, "beta_1": 1.0, "beta_2": 0.5, "weight_decay": 0.1},
    {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    {"gradient_accumulation_steps": 3, "global_clipnorm": 1.0},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_lion(assert_same_as_keras, settings):
    assert_same_as_keras(Lion(**settings), keras.optimizers.Lion(**settings))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "beta_1": 0.875,
        "beta_2": 0.9375,
        "weight_decay": 0.125,
    }
    assert_matches_reference(Lion(**hyperparameters), reference.lion, **hyperparameters)


def test_defaults_and_name_are_keras():
    ours, theirs = Lion().get_config(), keras.optimizers.Lion().get_config()
    assert ours.pop("name") == "lion"
    theirs.pop("name")
    assert ours == theirs


@pytest.mark.parametrize(
    ("argument", "value"),
    [("beta_1", 0.0), ("beta_1", 1.5), ("beta_1", True), ("beta_1", "0.9"), ("beta_2", 1.0)],
)
def test_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value!r}")):
        Lion(**{argument: value})


def test_beta_1_of_one_is_allowed_as_in_keras():
    assert Lion(beta_1=1).beta_1 == keras.optimizers.Lion(beta_1=1).beta_1 == 1.0
