"""AdaGrad."""

import keras
import numpy as np

import optimizers


def test_one_step_by_hand():
    variable = keras.Variable([1.0, 1.0])
    optimizer = optimizers.AdaGrad(learning_rate=0.5, initial_accumulator_value=1.0, epsilon=4.0)
    optimizer.apply([np.array([2.0, 0.0], "float32")], [variable])
    # accumulator = 1 + 2 ** 2 = 5; variable = 1 - 0.5 * 2 / sqrt(5 + 4) = 1 - 1 / 3 = 2 / 3
    # (an accumulator starting at 0, or epsilon outside the root, would give another number);
    # a zero gradient leaves its coordinate alone.
    np.testing.assert_allclose(variable.numpy(), [2.0 / 3.0, 1.0], rtol=1e-6)


def test_float32_equals_keras_adagrad(assert_same_as_keras):
    assert_same_as_keras(optimizers.AdaGrad(), keras.optimizers.Adagrad())


def test_float32_equals_keras_with_schedule(assert_same_as_keras):
    def settings():
        schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
        return {"learning_rate": schedule, "initial_accumulator_value": 0.5, "epsilon": 1e-3}

    assert_same_as_keras(optimizers.AdaGrad(**settings()), keras.optimizers.Adagrad(**settings()))


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "initial_accumulator_value": 0.1,
        "epsilon": 1e-3,
    }
    assert_matches_reference(
        optimizers.AdaGrad(**hyperparameters), reference.adagrad, **hyperparameters
    )
