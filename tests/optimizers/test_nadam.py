"""Nadam, on Keras's momentum schedule."""

import keras
import numpy as np
import pytest

import optimizers


def test_one_step_by_hand():
    variable = keras.Variable([1.0])
    optimizer = optimizers.Nadam(learning_rate=0.5, beta_1=0.5, beta_2=0.75, epsilon=1.0)
    optimizer.apply([np.array([2.0], "float32")], [variable])
    # mu_1 = 0.5 * (1 - 0.5 * 0.96) = 0.26; mu_2 = 0.5 * (1 - 0.5 * 0.9216) = 0.2696
    # momentum_product = 0.26; momentum = 0.5 * 2 = 1; velocity = 0.25 * 4 = 1
    # momentum_hat = 0.2696 * 1 / (1 - 0.26 * 0.2696) + (1 - 0.26) * 2 / (1 - 0.26)
    #              = 0.2696 / 0.929904 + 2 = 2.2899224
    # velocity_hat = 1 / (1 - 0.75) = 4; variable = 1 - 0.5 * 2.2899224 / (2 + 1) = 0.6183463
    np.testing.assert_allclose(variable.numpy(), [0.6183463], rtol=1e-6)


SETTINGS = [
    {},
    {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
    # The momentum product must advance once per real update, not per micro-batch.
    {"gradient_accumulation_steps": 2},
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_float32_equals_keras_nadam(assert_same_as_keras, settings):
    assert_same_as_keras(optimizers.Nadam(**settings), keras.optimizers.Nadam(**settings))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "beta_1": 0.875,
        "beta_2": 0.9375,
        "epsilon": 1e-3,
    }
    assert_matches_reference(
        optimizers.Nadam(**hyperparameters), reference.nadam, **hyperparameters
    )
