"""Configs round-trip, and a model saved to `.keras` resumes training exactly."""

import keras
import numpy as np
import pytest

import optimizers


def _third(space):
    """The point a third of the way into a searched range (on its own scale)."""
    low, high = space["low"], space["high"]
    return low * (high / low) ** (1 / 3) if space["scale"] == "log" else low + (high - low) / 3


def non_default_settings(name):
    """Settings that differ from every default, so that a round trip that fell back to
    defaults (or dropped a slot such as AMSGrad's maximum) would show: a third of the way
    into each searched range, every flag flipped (except `nesterov`, which names the class), and a
    base argument."""
    defaults = optimizers.hyperparameters(name)
    search_space = optimizers.records.record(name).search_space
    settings = {key: _third(space) for key, space in search_space.items()}
    for key, default in defaults.items():
        if isinstance(default, bool) and key != "nesterov":
            settings[key] = not default
    assert all(settings[key] != defaults[key] for key in settings)
    return {**settings, "clipnorm": 1.0}


SETTINGS = {name: non_default_settings(name) for name in optimizers.REGISTERED}


@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_config_round_trip(name):
    optimizer = optimizers.get(name, **SETTINGS[name])
    config = optimizer.get_config()
    for key, value in SETTINGS[name].items():
        assert config[key] == pytest.approx(value)
    copy = type(optimizer).from_config(config)
    assert type(copy) is type(optimizer)
    assert copy.get_config() == config


@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_serialize_by_registered_name(name):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    optimizer = optimizers.get(name, learning_rate=schedule)
    serialized = keras.optimizers.serialize(optimizer)
    assert serialized["registered_name"] == f"optimizers>{type(optimizer).__name__}"
    copy = keras.optimizers.deserialize(serialized)
    assert type(copy) is type(optimizer)
    assert isinstance(copy.get_config()["learning_rate"], dict)
    assert float(copy.learning_rate) == pytest.approx(0.1)


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


@pytest.mark.parametrize("name", optimizers.REGISTERED)
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
