"""Schedule-Free AdamW is evaluated at its averaged weights x, trained at y, and the
evaluations leave training exactly as it would be without them."""

import keras
import numpy as np
import pytest

import optimizers
from training.evaluation_weights import AveragedWeights, evaluated_at_averaged_weights


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    return x, y


def trained(optimizer_name: str, validate: bool, epochs: int = 2):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=optimizers.get(optimizer_name, learning_rate=0.05), loss="mse")
    x, y = data()
    fitted = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0,
                       validation_data=(x, y) if validate else None,
                       callbacks=[AveragedWeights()])
    return model, fitted.history


def at(model, values):
    for variable, value in zip(model.trainable_variables, values, strict=True):
        variable.assign(value)
    x, y = data()
    return model.evaluate(x, y, batch_size=64, verbose=0)


def test_validation_runs_at_x_and_training_goes_on_at_y_bit_for_bit():
    model, logs = trained("schedule_free_adamw", validate=True)
    unvalidated, _ = trained("schedule_free_adamw", validate=False)
    y_weights = [np.array(variable) for variable in model.trainable_variables]
    for ours, theirs in zip(y_weights, unvalidated.trainable_variables, strict=True):
        np.testing.assert_array_equal(ours, np.array(theirs))  # evaluation changed nothing
    x_weights = [np.array(value) for value in
                 model.optimizer.averaged_values(model.trainable_variables)]
    loss_at_x = at(model, x_weights)
    loss_at_y = at(model, y_weights)
    assert logs["val_loss"][-1] == pytest.approx(loss_at_x, rel=1e-6)
    assert abs(loss_at_x - loss_at_y) > 1e-4  # the two points differ: the swap happened


def test_the_test_evaluation_context_puts_y_back_exactly():
    model, _ = trained("schedule_free_adamw", validate=False, epochs=1)
    before = [np.array(variable) for variable in model.trainable_variables]
    x_weights = [np.array(value) for value in
                 model.optimizer.averaged_values(model.trainable_variables)]
    with evaluated_at_averaged_weights(model):
        inside = [np.array(variable) for variable in model.trainable_variables]
    after = [np.array(variable) for variable in model.trainable_variables]
    for expected, got in zip(x_weights, inside, strict=True):
        np.testing.assert_array_equal(got, expected)
    for expected, got in zip(before, after, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_other_optimizers_are_evaluated_where_they_train():
    model, logs = trained("adam", validate=True)
    weights = [np.array(variable) for variable in model.trainable_variables]
    with evaluated_at_averaged_weights(model):
        inside = [np.array(variable) for variable in model.trainable_variables]
    for expected, got in zip(weights, inside, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert logs["val_loss"][-1] == pytest.approx(at(model, weights), rel=1e-6)
