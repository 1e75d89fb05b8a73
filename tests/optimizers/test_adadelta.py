"""AdaDelta."""

import math

import keras
import numpy as np

import optimizers


def test_one_step_by_hand():
    variable = keras.Variable([1.0])
    optimizer = optimizers.AdaDelta(learning_rate=0.5, rho=0.75, epsilon=0.25)
    optimizer.apply([np.array([2.0], "float32")], [variable])
    # average_squared_gradient = 0.75 * 0 + 0.25 * 2 ** 2 = 1
    # delta = -sqrt(0 + 0.25) * 2 / sqrt(1 + 0.25) = -1 / sqrt(1.25)
    # variable = 1 + 0.5 * delta = 1 - 0.5 / sqrt(1.25) = 0.5527864...
    np.testing.assert_allclose(variable.numpy(), [1.0 - 0.5 / math.sqrt(1.25)], rtol=1e-6)


def test_float32_equals_keras_adadelta(assert_same_as_keras):
    assert_same_as_keras(optimizers.AdaDelta(), keras.optimizers.Adadelta())
    settings = {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6, "clipnorm": 1.0}
    assert_same_as_keras(optimizers.AdaDelta(**settings), keras.optimizers.Adadelta(**settings))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {"learning_rate": 1.0, "rho": 0.875, "epsilon": 1e-3}
    assert_matches_reference(
        optimizers.AdaDelta(**hyperparameters), reference.adadelta, **hyperparameters
    )
