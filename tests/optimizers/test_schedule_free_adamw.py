"""Schedule-Free AdamW: the Adam-scaled sequence, its average, and their interpolation."""

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import optimizers
from optimizers.schedule_free_adamw import ScheduleFreeAdamW

# Keras's TensorFlow path, tf.GradientTape or tf.distribute: TensorFlow only.
tensorflow_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="about Keras's TensorFlow path, or uses tf.GradientTape / tf.distribute",
)

HAND = {"learning_rate": 0.5, "beta_1": 0.5, "beta_2": 0.5, "epsilon": 0.0}


def _run(optimizer, gradients, initial=(1.0,)):
    variable = keras.Variable(np.array(initial, "float32"))
    for gradient in gradients:
        optimizer.apply([np.array([gradient], "float32")], [variable])
    return variable


def test_two_steps_by_hand():
    # Start: y = z = x = 1. t = 1, g = 2: velocity = 0.5 * 4 = 2, denominator
    # sqrt(2 / 0.5) = 2, z = 1 - 0.5 * 2 / 2 = 0.5; weight 1/1: x = z = 0.5; y = 0.5.
    # t = 2, g = 1: velocity = 2 + (1 - 2) * 0.5 = 1.5, denominator sqrt(1.5 / 0.75),
    # z = 0.5 - 0.5 / sqrt(2) = 0.1464466; x (from y and the old z) = (0.5 - 0.25) / 0.5 = 0.5,
    # weight 1/2: x = 0.25 + 0.0732233 = 0.3232233; y = 0.5 * z + 0.5 * x = 0.2348350.
    z = 0.5 - 0.5 / math.sqrt(2)
    x = 0.5 * 0.5 + 0.5 * z
    np.testing.assert_allclose(_run(ScheduleFreeAdamW(**HAND), [2.0]).numpy(), [0.5])
    optimizer = ScheduleFreeAdamW(**HAND)
    variable = _run(optimizer, [2.0, 1.0])
    np.testing.assert_allclose(variable.numpy(), [0.5 * z + 0.5 * x], rtol=1e-6)
    average = keras.ops.convert_to_numpy(optimizer.averaged_values([variable])[0])
    np.testing.assert_allclose(average, [x], rtol=1e-6)


def test_warmup_scales_the_first_steps():
    # warmup_steps = 4: the first step's rate is 0.5 * 1/4, so z = 1 - 0.125 * 2 / 2 = 0.875,
    # which is also x and y after one step.
    optimizer = ScheduleFreeAdamW(warmup_steps=4, **HAND)
    np.testing.assert_allclose(_run(optimizer, [2.0]).numpy(), [0.875])


def test_x_starts_at_the_variable_and_is_recovered_exactly():
    optimizer = ScheduleFreeAdamW(learning_rate=0.1, beta_1=0.75)
    variable = keras.Variable(np.array([3.0, -1.0], "float32"))
    optimizer.build([variable])
    # Before any step x = y = z.
    average = keras.ops.convert_to_numpy(optimizer.averaged_values([variable])[0])
    np.testing.assert_array_equal(average, [3.0, -1.0])
    for gradient in ([1.0, 2.0], [-1.0, 0.5], [0.25, 0.25]):
        optimizer.apply([np.array(gradient, "float32")], [variable])
    momentum = optimizer.variables[2].numpy()
    average = keras.ops.convert_to_numpy(optimizer.averaged_values([variable])[0])
    # y = (1 - beta_1) z + beta_1 x, and averaged_values changes no state.
    np.testing.assert_allclose(variable.numpy(), 0.25 * momentum + 0.75 * average, rtol=1e-6)
    np.testing.assert_array_equal(optimizer.variables[2].numpy(), momentum)


@tensorflow_only
def test_keras_tensorflow_builtin_agrees_at_step_one_only():
    # Keras's TensorFlow path reads `momentum` after updating it (see the class docstring):
    # the first step (weight 1) hides it, the second shows it. If this fails, Keras has
    # changed and the parity test can use its `apply` directly.
    ours = _run(ScheduleFreeAdamW(**HAND), [2.0, 1.0]).numpy()
    theirs = _run(keras.optimizers.ScheduleFreeAdamW(**HAND), [2.0]).numpy()
    np.testing.assert_array_equal(_run(ScheduleFreeAdamW(**HAND), [2.0]).numpy(), theirs)
    theirs = _run(keras.optimizers.ScheduleFreeAdamW(**HAND), [2.0, 1.0]).numpy()
    # Keras's y after step 2 is our x: its z-term was taken from the updated z.
    np.testing.assert_allclose(theirs, [0.25 + 0.5 * (0.5 - 0.5 / math.sqrt(2))], rtol=1e-6)
    assert ours[0] != theirs[0]


# Run in a fresh process on Keras's JAX backend: 100 random float32 steps of ours and of
# the built-in; prints the largest difference per variable and setting.
JAX_PARITY = """
import json
import keras
import numpy as np
from optimizers.schedule_free_adamw import ScheduleFreeAdamW
rng = np.random.default_rng(0)
shapes = [(3,), (4, 5), (2, 3, 2)]
initial = [rng.standard_normal(shape).astype("float32") for shape in shapes]
steps = [[rng.standard_normal(shape).astype("float32") for shape in shapes] for _ in range(100)]
differences = []
for settings in ({}, {"warmup_steps": 7, "beta_1": 0.8, "weight_decay": 0.1}):
    finals = []
    builtin = keras.optimizers.ScheduleFreeAdamW(**settings)
    for optimizer in (ScheduleFreeAdamW(**settings), builtin):
        variables = [keras.Variable(value) for value in initial]
        for gradients in steps:
            optimizer.apply(gradients, variables)
        finals.append([variable.numpy() for variable in variables])
    differences += [float(np.abs(a - b).max()) for a, b in zip(*finals)]
print(json.dumps(differences))
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax")
def test_float32_equals_keras_builtin_on_jax():
    root = Path(optimizers.__file__).resolve().parent.parent
    python_path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": python_path}
    completed = subprocess.run(
        [sys.executable, "-c", JAX_PARITY],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    differences = json.loads(completed.stdout.strip().splitlines()[-1])
    assert len(differences) == 6 and all(value == 0.0 for value in differences)


def test_float64_matches_reference(assert_matches_reference, reference):
    hyperparameters = {
        "learning_rate": 0.0625,
        "beta_1": 0.875,
        "beta_2": 0.9375,
        "epsilon": 1e-3,
        "warmup_steps": 10,
        "weight_decay": 0.125,
    }
    optimizer = ScheduleFreeAdamW(**hyperparameters)
    assert_matches_reference(optimizer, reference.schedule_free_adamw, **hyperparameters)


def _fit(optimizer, jit_compile):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = rng.standard_normal((32, 3)).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=optimizer, loss="mse", jit_compile=jit_compile)
    assert model.jit_compile is jit_compile  # XLA, when asked, and not quietly dropped
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model, x, y


def _stepped_by_hand(x, y):
    """The same training as `_fit`, stepped eagerly with `apply` on taped gradients."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    optimizer = ScheduleFreeAdamW(weight_decay=0.01)
    for _ in range(2):
        for start in range(0, 32, 8):
            with tf.GradientTape() as tape:
                prediction = model(x[start : start + 8])
                loss = keras.losses.mean_squared_error(y[start : start + 8], prediction)
                loss = keras.ops.mean(loss)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply(gradients, model.trainable_variables)
    return model.get_weights()


@tensorflow_only
@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_follows_the_update_rule(jit_compile):
    model, x, y = _fit(ScheduleFreeAdamW(weight_decay=0.01), jit_compile)
    assert int(model.optimizer.iterations.numpy()) == 8
    for actual, expected in zip(model.get_weights(), _stepped_by_hand(x, y), strict=True):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_defaults_and_name_are_keras():
    ours = ScheduleFreeAdamW().get_config()
    theirs = keras.optimizers.ScheduleFreeAdamW().get_config()
    assert ours.pop("name") == "schedule_free_adamw"
    theirs.pop("name")
    assert ours == theirs
    assert optimizers.hyperparameters("schedule_free_adamw") == {
        "learning_rate": 0.0025, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
        "warmup_steps": 0, "weight_decay": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("beta_1", 0.0),
        ("beta_1", 1.5),
        ("beta_2", 1.0),
        ("epsilon", -1e-8),
        ("warmup_steps", -1),
        ("warmup_steps", 2.5),
        ("warmup_steps", True),
    ],
)
def test_bad_arguments(argument, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {argument}={value!r}")):
        ScheduleFreeAdamW(**{argument: value})


@tensorflow_only
def test_keras_tensorflow_fit_starts_z_at_zero_ours_at_the_weights():
    # Keras assigns z = variable in `build`, which `fit` traces, so its z starts at zero
    # and the first step (weight 1: y = z) throws the initial weights away. Ours keeps
    # them. If this fails, Keras has changed; see the class docstring.
    def first_step(optimizer):
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile(optimizer=optimizer, loss="mse")
        initial = model.get_weights()[0]
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        return np.abs(model.get_weights()[0] - initial).max(), np.abs(initial).max()

    ours_moved, scale = first_step(ScheduleFreeAdamW())
    theirs_moved, _ = first_step(keras.optimizers.ScheduleFreeAdamW())
    assert ours_moved < 0.01 < 0.5 * scale < theirs_moved


# Keras's built-in computes another rule on TensorFlow, so test_distribute.py (which
# compares with built-ins) leaves this optimizer out; here it trains under
# MirroredStrategy on two logical CPUs against the same steps on one device.
MIRRORED = """
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
import numpy as np
from optimizers.schedule_free_adamw import ScheduleFreeAdamW
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 4)).astype("float32")
y = rng.standard_normal((64, 2)).astype("float32")

def model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])

def train(strategy):
    with strategy.scope():
        net, optimizer = model(), ScheduleFreeAdamW(learning_rate=0.05, weight_decay=0.01)
        optimizer.build(net.trainable_variables)

    def replica_step(features, targets):
        with tf.GradientTape() as tape:
            per_example = tf.reduce_mean(tf.square(net(features) - targets), axis=-1)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=16)
        gradients = tape.gradient(loss, net.trainable_variables)
        optimizer.apply(gradients, net.trainable_variables)

    @tf.function
    def step(features, targets):
        strategy.run(replica_step, args=(features, targets))

    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    for _ in range(2):
        for features, targets in strategy.experimental_distribute_dataset(dataset):
            step(features, targets)
    return net.get_weights(), strategy.num_replicas_in_sync, int(optimizer.iterations.numpy())

mirrored, replicas, iterations = train(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
single, _, _ = train(tf.distribute.get_strategy())
print(json.dumps({
    "replicas": replicas, "iterations": iterations,
    "difference": max(float(np.abs(a - b).max()) for a, b in zip(mirrored, single)),
    "moved": max(float(np.abs(a - b).max()) for a, b in zip(mirrored, model().get_weights())),
}))
"""


@tensorflow_only
def test_mirrored_strategy_trains_as_one_device():
    root = Path(optimizers.__file__).resolve().parent.parent
    python_path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-c", MIRRORED],
        cwd=root,
        env={**os.environ, "PYTHONPATH": python_path, "KERAS_BACKEND": "tensorflow"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert (result["replicas"], result["iterations"]) == (2, 8)
    assert result["moved"] > 0.05
    # Two replicas sum their halves of each batch's gradient: the same sum, rounded apart.
    assert result["difference"] < 1e-5
