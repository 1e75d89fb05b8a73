"""Per-layer optimizers (optimizers/multi.py): each group updates as its optimizer alone
would, a frozen group does not move, the whole saves to .keras and continues, and the
map is checked against the model's variable paths."""

import re

import keras
import numpy as np
import pytest
from keras.optimizers import OptimizerMap

import optimizers
from optimizers import multi

STEPS = 20


def small_model():
    """Two dense layers on 6 inputs: paths dense/kernel, dense/bias, dense_1/kernel, ..."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))  # functional, as the toolkit's models (Sequential adds a prefix)
    hidden = keras.layers.Dense(5, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3)(hidden))


def random_gradients(variables, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=variable.shape).astype("float32") for variable in variables]
            for _ in range(steps)]


def test_each_group_updates_exactly_as_its_optimizer_alone():
    model = small_model()
    variables = model.trainable_variables
    assert [variable.path for variable in variables] == [
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
    initial = [variable.numpy() for variable in variables]
    gradients = random_gradients(variables, STEPS)
    first = {"learning_rate": 0.1, "weight_decay": 0.01}  # weight decay in one group only
    combined = multi.build(optimizers.get("adam", learning_rate=0.01),
                           {"dense/.*": optimizers.get("momentum", **first),
                            "dense_1/bias": optimizers.get("rmsprop", learning_rate=0.02)})
    for step in gradients:
        combined.apply(step, variables)
    after = [variable.numpy() for variable in variables]

    # The same three optimizers, each applied by hand to its own variables.
    copies = [keras.Variable(value) for value in initial]
    alone = [(optimizers.get("momentum", **first), [0, 1]),
             (optimizers.get("adam", learning_rate=0.01), [2]),
             (optimizers.get("rmsprop", learning_rate=0.02), [3])]
    for step in gradients:
        for optimizer, indices in alone:
            optimizer.apply([step[index] for index in indices],
                            [copies[index] for index in indices])
    for variable, copy, start in zip(after, copies, initial, strict=True):
        assert variable.dtype == np.float32
        np.testing.assert_array_equal(variable, copy.numpy())  # bit for bit
        assert not np.array_equal(variable, start)
    assert int(combined.iterations) == STEPS
    assert [int(optimizer.iterations) for optimizer in combined.optimizers] == [STEPS] * 3


def compiled(groups, default=None):
    model = small_model()
    optimizer = multi.build(default or optimizers.get("adam", learning_rate=0.01), groups)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def data(count=32):
    rng = np.random.default_rng(2)
    return rng.normal(size=(count, 6)).astype("float32"), rng.normal(size=(count, 3)).astype(
        "float32")


# FTRL divides by its learning rate and refuses 0 (below). Schedule-Free AdamW at rate 0
# keeps z and x fixed, and y = (1 - beta_1) z + beta_1 x equals them in exact arithmetic;
# float32 recomputes y each step, which moves it by up to one rounding (6e-8 here).
FROZEN_WITHIN_ROUNDING = {"schedule_free_adamw"}


@pytest.mark.parametrize("name", [name for name in optimizers.REGISTERED if name != "ftrl"])
def test_a_group_at_learning_rate_zero_is_frozen(name):
    model = compiled({"dense/.*": optimizers.get(name, learning_rate=0.0)})
    before = {variable.path: variable.numpy() for variable in model.trainable_variables}
    model.fit(*data(), batch_size=8, epochs=2, verbose=0)
    for variable in model.trainable_variables:
        if variable.path.startswith("dense/") and name in FROZEN_WITHIN_ROUNDING:
            np.testing.assert_allclose(variable.numpy(), before[variable.path], rtol=0,
                                       atol=float(np.spacing(np.float32(1.0))))
        elif variable.path.startswith("dense/"):
            np.testing.assert_array_equal(variable.numpy(), before[variable.path])
        else:
            assert not np.array_equal(variable.numpy(), before[variable.path]), variable.path


def test_ftrl_refuses_a_zero_learning_rate_because_it_divides_by_it():
    with pytest.raises(ValueError, match=r"learning_rate.*> 0 \(this update divides by it\)"):
        optimizers.get("ftrl", learning_rate=0.0)


def test_learning_rate_reads_the_default_group_and_cannot_be_set():
    optimizer = multi.build(optimizers.get("adam", learning_rate=0.003),
                            {"x": optimizers.get("sgd", learning_rate=0.5)})
    assert float(optimizer.learning_rate) == pytest.approx(0.003)
    with pytest.raises(AttributeError, match="Learning rate cannot be set"):
        optimizer.learning_rate = 0.1


def test_saved_model_loads_with_every_group_and_continues_identically(tmp_path):
    model = compiled({"dense/kernel": optimizers.get("nadam", learning_rate=0.02),
                      "dense_1/.*": optimizers.get("momentum", learning_rate=0.05)})
    x, y = data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    assert type(loaded.optimizer) is multi.MultiOptimizer
    inner = [(type(o).__name__, float(o.learning_rate)) for o in loaded.optimizer.optimizers]
    assert inner == [("Nadam", pytest.approx(0.02)), ("Momentum", pytest.approx(0.05)),
                     ("Adam", pytest.approx(0.01))]
    saved = [variable.numpy() for variable in model.optimizer.variables]
    restored = [variable.numpy() for variable in loaded.optimizer.variables]
    assert len(saved) == len(restored) > 4  # the counter and every group's slots
    for mine, theirs in zip(saved, restored, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for mine, theirs in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


PATHS = ["conv2d/kernel", "conv2d_1/kernel", "dense/kernel", "dense/bias"]


def optimizer_map(*patterns):
    return OptimizerMap(optimizers.get("adam"), {p: optimizers.get("sgd") for p in patterns})


def test_check_assigns_each_path_as_keras_does():
    chosen = multi.check(optimizer_map("conv2d.*", "dense/kernel"), PATHS)
    assert chosen == {"conv2d/kernel": "conv2d.*", "conv2d_1/kernel": "conv2d.*",
                      "dense/kernel": "dense/kernel", "dense/bias": None}
    # A pattern equal to a path wins over a regex that also matches it (Keras's rule).
    assert multi.check(optimizer_map("dense/kernel", "dense/.*"), PATHS)["dense/kernel"] == (
        "dense/kernel")


def test_a_pattern_matching_nothing_names_it_and_the_paths():
    message = ("optimizer map pattern 'conv3d.*' matches no variable of the model; its "
               "variables: conv2d/kernel, conv2d_1/kernel, dense/kernel, dense/bias")
    with pytest.raises(ValueError, match=re.escape(message)):
        multi.check(optimizer_map("conv.*", "conv3d.*"), PATHS)
    # fullmatch: a pattern must cover the whole path.
    with pytest.raises(ValueError, match="'conv2d' matches no variable"):
        multi.check(optimizer_map("conv2d"), PATHS)


def test_a_path_matched_twice_names_both_patterns():
    with pytest.raises(ValueError, match=re.escape(
            "variable 'dense/kernel' matches 2 patterns of the optimizer map ('dense/.*', "
            "'.*kernel')")):
        multi.check(optimizer_map("dense/.*", ".*kernel"), ["dense/kernel"])
    # ... where Keras itself would have stopped at build time.
    model = small_model()
    double = multi.build(optimizers.get("adam"), {"dense/.*": optimizers.get("sgd"),
                                                  ".*kernel": optimizers.get("sgd")})
    with pytest.raises(ValueError, match="Multiple optimizers assigned"):
        double.build(model.trainable_variables)
