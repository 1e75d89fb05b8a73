"""Configs round-trip, and a model saved to `.keras` resumes training exactly."""

import keras
import numpy as np
import pytest

import optimizers

# Non-default settings per optimizer, so that a round trip that fell back to
# defaults (or dropped a slot such as AMSGrad's maximum) would show.
SETTINGS = {
    "sgd": {"learning_rate": 0.05, "weight_decay": 0.01},
    "momentum": {"learning_rate": 0.05, "momentum": 0.5},
    "nesterov": {"learning_rate": 0.05, "momentum": 0.8},
    "adagrad": {"learning_rate": 0.05, "initial_accumulator_value": 0.2, "epsilon": 1e-5},
    "adadelta": {"learning_rate": 0.5, "rho": 0.9, "epsilon": 1e-6},
    "rmsprop": {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True},
    "adam": {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "amsgrad": True},
    "adamw": {"learning_rate": 0.01, "weight_decay": 0.1, "epsilon": 1e-5},
    "nadam": {"learning_rate": 0.01, "beta_1": 0.8, "clipnorm": 1.0},
}


def test_every_registered_optimizer_is_tested():
    assert set(SETTINGS) == set(optimizers.OPTIMIZERS)


@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_config_round_trip(name):
    optimizer = optimizers.get(name, **SETTINGS[name])
    config = optimizer.get_config()
    for key, value in SETTINGS[name].items():
        assert config[key] == pytest.approx(value)
    copy = type(optimizer).from_config(config)
    assert type(copy) is type(optimizer)
    assert copy.get_config() == config


@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_serialize_by_registered_name(name):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    optimizer = optimizers.get(name, learning_rate=schedule)
    serialized = keras.optimizers.serialize(optimizer)
    assert serialized["registered_name"] == f"optimizers>{type(optimizer).__name__}"
    copy = keras.optimizers.deserialize(serialized)
    assert type(copy) is type(optimizer)
    assert isinstance(copy.get_config()["learning_rate"], dict)
    assert copy.learning_rate.numpy() == pytest.approx(0.1)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((24, 4)).astype("float32"), rng.integers(0, 3, 24)


def _compiled_model(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, "tanh"), keras.layers.Dense(3)]
    )
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=loss)
    return model


@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_saved_model_resumes_training_exactly(name, tmp_path):
    x, y = _data()
    model = _compiled_model(optimizers.get(name, **SETTINGS[name]))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")

    assert type(loaded.optimizer) is type(model.optimizer)
    assert int(loaded.optimizer.iterations.numpy()) == 3
    saved_state = [variable.numpy() for variable in model.optimizer.variables]
    # After the iteration count and learning rate come the slots: all have moved.
    assert all(np.any(slot != 0) for slot in saved_state[2:])
    for loaded_variable, state in zip(loaded.optimizer.variables, saved_state, strict=True):
        np.testing.assert_array_equal(loaded_variable.numpy(), state)

    for resumed in (model, loaded):
        resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for resumed_weight, weight in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(resumed_weight, weight)
    assert int(loaded.optimizer.iterations.numpy()) == 9
