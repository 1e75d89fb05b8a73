"""Adam and AMSGrad."""

import math

import keras
import numpy as np
import pytest

import optimizers

HAND = {"learning_rate": 0.5, "beta_1": 0.5, "beta_2": 0.75, "epsilon": 1.0}


def _run(optimizer, gradients):
    variable = keras.Variable([1.0])
    for gradient in gradients:
        optimizer.apply([np.array([gradient], "float32")], [variable])
    return variable.numpy()


def test_one_step_by_hand():
    # t = 1: alpha = 0.5 * sqrt(1 - 0.75) / (1 - 0.5) = 0.5
    # momentum = 0.5 * 2 = 1; velocity = 0.25 * 2 ** 2 = 1
    # variable = 1 - 0.5 * 1 / (sqrt(1) + 1) = 0.75
    np.testing.assert_allclose(_run(optimizers.Adam(**HAND), [2.0]), [0.75], rtol=1e-6)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_second_step_by_hand(amsgrad):
    # After step 1 (above), a zero gradient: momentum = 0.5, velocity = 0.75 * 1 = 0.75,
    # the running maximum stays 1. t = 2: alpha = 0.5 * sqrt(1 - 0.5625) / (1 - 0.25)
    # = 0.4409586; variable = 0.75 - alpha * 0.5 / (sqrt(v) + 1) with v = 0.75 (Adam,
    # 0.6318455) or v = 1 (AMSGrad, 0.6397604).
    alpha = 0.5 * math.sqrt(1 - 0.5625) / (1 - 0.25)
    velocity = 1.0 if amsgrad else 0.75
    expected = 0.75 - alpha * 0.5 / (math.sqrt(velocity) + 1)
    result = _run(optimizers.Adam(amsgrad=amsgrad, **HAND), [2.0, 0.0])
    np.testing.assert_allclose(result, [expected], rtol=1e-6)


SETTINGS = [
    {},
    {"amsgrad": True},
    {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3, "weight_decay": 0.1},
    {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 7},
    {"gradient_accumulation_steps": 3, "amsgrad": True},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_adam(assert_same_as_keras, settings):
    assert_same_as_keras(optimizers.Adam(**settings), keras.optimizers.Adam(**settings))


@pytest.mark.parametrize("amsgrad", [False, True])
def test_float64_matches_reference(assert_matches_reference, reference, amsgrad):
    hyperparameters = {
        "learning_rate": 0.0625,
        "beta_1": 0.875,
        "beta_2": 0.9375,
        "epsilon": 1e-3,
        "amsgrad": amsgrad,
        "weight_decay": 0.125,
    }
    assert_matches_reference(optimizers.Adam(**hyperparameters), reference.adam, **hyperparameters)
