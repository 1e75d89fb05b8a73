"""Adamax: Adam's step with an infinity-norm denominator."""

import re

import keras
import numpy as np
import pytest

from optimizers.adamax import Adamax

HAND = {"learning_rate": 0.5, "beta_1": 0.5, "beta_2": 0.75, "epsilon": 1.0}


def _run(optimizer, gradients):
    variable = keras.Variable([1.0])
    for gradient in gradients:
        optimizer.apply([np.array([gradient], "float32")], [variable])
    return variable.numpy()


def test_two_steps_by_hand():
    # t = 1, g = 2: momentum = 0.5 * 2 = 1, norm = max(0, 2) = 2,
    #   variable = 1 - 0.5 * 1 / ((1 - 0.5) * (2 + 1)) = 2 / 3.
    # t = 2, g = 1: momentum = 0.5 + 0.5 = 1, norm = max(0.75 * 2, 1) = 1.5,
    #   variable = 2 / 3 - 0.5 * 1 / ((1 - 0.25) * (1.5 + 1)) = 2 / 3 - 4 / 15 = 0.4.
    np.testing.assert_allclose(_run(Adamax(**HAND), [2.0]), [2 / 3], rtol=1e-6)
    np.testing.assert_allclose(_run(Adamax(**HAND), [2.0, 1.0]), [0.4], rtol=1e-6)


SETTINGS = [
    {},
    {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3, "weight_decay": 0.1},
    {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    {"gradient_accumulation_steps": 3, "clipvalue": 0.5},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_adamax(assert_same_as_keras, settings):
    assert_same_as_keras(Adamax(**settings), keras.optimizers.Adamax(**settings))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "beta_1": 0.875,
        "beta_2": 0.9375,
        "epsilon": 1e-3,
        "weight_decay": 0.125,
    }
    assert_matches_reference(Adamax(**hyperparameters), reference.adamax, **hyperparameters)


def test_defaults_and_name_are_keras():
    ours, theirs = Adamax().get_config(), keras.optimizers.Adamax().get_config()
    assert ours.pop("name") == "adamax"
    theirs.pop("name")
    assert ours == theirs


@pytest.mark.parametrize(
    ("argument", "value"), [("beta_1", 1.0), ("beta_2", -0.1), ("epsilon", -1.0)]
)
def test_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value!r}")):
        Adamax(**{argument: value})
