"""SGD: plain gradient descent."""

import keras
import numpy as np

import optimizers


def test_one_step_by_hand():
    variable = keras.Variable([1.0, -2.0])
    optimizers.SGD(learning_rate=0.25).apply([np.array([3.0, -1.0], "float32")], [variable])
    # 1.0 - 0.25 * 3.0 = 0.25;  -2.0 - 0.25 * (-1.0) = -1.75
    np.testing.assert_allclose(variable.numpy(), [0.25, -1.75], rtol=1e-6)


def test_one_step_with_decoupled_weight_decay_by_hand():
    variable = keras.Variable([2.0])
    optimizer = optimizers.SGD(learning_rate=0.5, weight_decay=0.25)
    optimizer.apply([np.array([1.0], "float32")], [variable])
    # decay first: 2.0 - 2.0 * 0.25 * 0.5 = 1.75; then the step: 1.75 - 0.5 * 1.0 = 1.25
    np.testing.assert_allclose(variable.numpy(), [1.25], rtol=1e-6)


def test_float32_equals_keras_sgd(assert_same_as_keras):
    assert_same_as_keras(optimizers.SGD(), keras.optimizers.SGD())
    assert_same_as_keras(
        optimizers.SGD(learning_rate=0.1, weight_decay=0.01, clipvalue=0.5),
        keras.optimizers.SGD(learning_rate=0.1, weight_decay=0.01, clipvalue=0.5),
    )


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {"learning_rate": 0.0625, "weight_decay": 0.125}
    assert_matches_reference(optimizers.SGD(**hyperparameters), reference.sgd, **hyperparameters)
