"""AdamW: Adam with decoupled weight decay."""

import keras
import numpy as np
import pytest

import optimizers


def test_one_step_by_hand():
    variable = keras.Variable([1.0])
    optimizer = optimizers.AdamW(
        learning_rate=0.5, weight_decay=0.5, beta_1=0.5, beta_2=0.75, epsilon=1.0
    )
    optimizer.apply([np.array([2.0], "float32")], [variable])
    # decay: 1 - 1 * 0.5 * 0.5 = 0.75; Adam step as in test_adam: 0.5 * 1 / (1 + 1) = 0.25
    # variable = 0.75 - 0.25 = 0.5
    np.testing.assert_allclose(variable.numpy(), [0.5], rtol=1e-6)


def test_default_weight_decay_is_keras_default():
    assert optimizers.AdamW().weight_decay == keras.optimizers.AdamW().weight_decay == 0.004


@pytest.mark.parametrize("settings", [{}, {"amsgrad": True, "weight_decay": 0.05}])
def test_float32_equals_keras_adamw(assert_same_as_keras, settings):
    assert_same_as_keras(optimizers.AdamW(**settings), keras.optimizers.AdamW(**settings))


def test_zero_weight_decay_is_adam(assert_same_as_keras):
    assert_same_as_keras(optimizers.AdamW(weight_decay=0.0), keras.optimizers.Adam())


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "weight_decay": 0.25,
        "beta_1": 0.875,
        "beta_2": 0.9375,
        "epsilon": 1e-3,
        "amsgrad": False,
    }
    assert_matches_reference(optimizers.AdamW(**hyperparameters), reference.adam, **hyperparameters)
