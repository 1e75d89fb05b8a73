"""FTRL-Proximal: the variable recomputed from its regularised linear term."""

import re

import keras
import numpy as np
import pytest

import optimizers
from optimizers.ftrl import Ftrl


def _step(gradient, **hyperparameters):
    variable = keras.Variable([1.0])
    Ftrl(learning_rate=0.5, initial_accumulator_value=0.0, **hyperparameters).apply(
        [np.array([gradient], "float32")], [variable]
    )
    return variable.numpy()


@pytest.mark.parametrize(("l1", "expected"), [(0.0, 0.5), (1.5, 0.125), (3.0, 0.0)])
def test_one_step_by_hand(l1, expected):
    # variable 1, g = 2, accumulator 0 -> 4: sigma = (2 - 0) / 0.5 = 4,
    # linear = 2 - 4 * 1 = -2, quadratic = 2 / 0.5 = 4,
    # variable = (clip(-2, -l1, l1) + 2) / 4: 0.5 without L1 (Adagrad's 1 - 0.5 * 2 / 2),
    # 0.125 with l1 = 1.5, and exactly 0 once l1 >= |linear|.
    np.testing.assert_array_equal(_step(2.0, l1_regularization_strength=l1), [expected])


def test_l2_and_beta_by_hand():
    # quadratic = 2 / 0.5 + 2 * (0.25 + 1 / (2 * 0.5)) = 4 + 2.5 = 6.5; variable = 2 / 6.5.
    result = _step(2.0, l2_regularization_strength=0.25, beta=1.0)
    np.testing.assert_allclose(result, [2 / 6.5], rtol=1e-6)


SETTINGS = [
    {},
    {
        "learning_rate": 0.05,
        "learning_rate_power": -0.25,
        "initial_accumulator_value": 0.5,
        "l1_regularization_strength": 0.01,
        "l2_regularization_strength": 0.1,
        "l2_shrinkage_regularization_strength": 0.05,
        "beta": 0.5,
        "weight_decay": 0.1,
    },
    {"learning_rate_power": 0.0, "l1_regularization_strength": 0.3},
    {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    {"gradient_accumulation_steps": 3, "clipnorm": 0.5},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_ftrl(assert_same_as_keras, settings):
    assert_same_as_keras(Ftrl(**settings), keras.optimizers.Ftrl(**settings))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "learning_rate_power": -0.75,
        "initial_accumulator_value": 0.25,
        "l1_regularization_strength": 0.001,
        "l2_regularization_strength": 0.125,
        "l2_shrinkage_regularization_strength": 0.0625,
        "beta": 0.5,
        "weight_decay": 0.125,
    }
    assert_matches_reference(Ftrl(**hyperparameters), reference.ftrl, **hyperparameters)


def test_without_regularisation_it_is_adagrad(random_problem, run_steps):
    # The equivalence FTRL-Proximal is built on: z and n reproduce Adagrad's iterate
    # (by induction, quadratic * new variable = quadratic * variable - gradient).
    initial, gradients = random_problem("float64")
    settings = {"learning_rate": 0.0625, "initial_accumulator_value": 0.0}
    ftrl = run_steps(Ftrl(**settings), initial, gradients)
    adagrad = run_steps(optimizers.AdaGrad(epsilon=0.0, **settings), initial, gradients)
    for actual, expected in zip(ftrl, adagrad, strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)


def test_initial_accumulator_pulls_towards_zero():
    # variable 1, g = 0, accumulator 1: sigma = 0 so linear stays 0, and the variable is
    # (0 - 0) / (1 / 0.5) = 0: the initial accumulator's share of `quadratic` has no
    # counterpart in `linear`.
    variable = keras.Variable([1.0])
    Ftrl(learning_rate=0.5, initial_accumulator_value=1.0).apply(
        [np.zeros(1, "float32")], [variable]
    )
    np.testing.assert_array_equal(variable.numpy(), [0.0])


def test_defaults_and_name_are_keras():
    ours, theirs = Ftrl().get_config(), keras.optimizers.Ftrl().get_config()
    assert ours.pop("name") == "ftrl"
    theirs.pop("name")
    assert ours == theirs


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("learning_rate_power", 0.5),
        ("learning_rate_power", float("-inf")),
        ("initial_accumulator_value", -0.1),
        ("l1_regularization_strength", -1.0),
        ("l2_regularization_strength", "0.1"),
        ("l2_shrinkage_regularization_strength", float("nan")),
        ("beta", -0.5),
    ],
)
def test_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value!r}")):
        Ftrl(**{argument: value})
