"""Through `model.fit`, with and without XLA: bit for bit the Keras built-in.

Every variant trains with `clipnorm`, decoupled `weight_decay` and an
`ExponentialDecay` learning rate, so the base class's pieces run too.
"""

import keras
import numpy as np
import pytest

import optimizers

# (our name and settings, the Keras built-in and its settings)
VARIANTS = {
    "sgd": ("sgd", {}, keras.optimizers.SGD, {}),
    "momentum": ("momentum", {}, keras.optimizers.SGD, {"momentum": 0.9}),
    "nesterov": ("nesterov", {}, keras.optimizers.SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("adagrad", {}, keras.optimizers.Adagrad, {}),
    "adadelta": ("adadelta", {}, keras.optimizers.Adadelta, {}),
    "rmsprop": ("rmsprop", {}, keras.optimizers.RMSprop, {}),
    "rmsprop-centered-momentum": (
        "rmsprop",
        {"centered": True, "momentum": 0.5},
        keras.optimizers.RMSprop,
        {"centered": True, "momentum": 0.5},
    ),
    "adam": ("adam", {}, keras.optimizers.Adam, {}),
    "adam-amsgrad": ("adam", {"amsgrad": True}, keras.optimizers.Adam, {"amsgrad": True}),
    "adamw": ("adamw", {}, keras.optimizers.AdamW, {}),
    "nadam": ("nadam", {}, keras.optimizers.Nadam, {}),
}


def _base_arguments():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=2, decay_rate=0.5)
    return {"learning_rate": schedule, "clipnorm": 0.5, "weight_decay": 0.01}


def _train(optimizer, jit_compile):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = rng.standard_normal((32, 3)).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=optimizer, loss="mse", jit_compile=jit_compile)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model.get_weights()


def test_every_registered_optimizer_is_tested():
    assert {name for name, *_ in VARIANTS.values()} == set(optimizers.OPTIMIZERS)


# XLA compiles take about a second each: every algorithm once, not every variant.
CASES = [(variant, False) for variant in VARIANTS] + [
    (variant, True) for variant in VARIANTS if variant in optimizers.OPTIMIZERS
]


@pytest.mark.parametrize(("variant", "jit_compile"), CASES)
def test_fit_equals_keras_builtin(variant, jit_compile):
    name, settings, builtin, builtin_settings = VARIANTS[variant]
    ours = optimizers.get(name, **settings, **_base_arguments())
    theirs = builtin(**builtin_settings, **_base_arguments())
    for actual, expected in zip(
        _train(ours, jit_compile), _train(theirs, jit_compile), strict=True
    ):
        np.testing.assert_array_equal(actual, expected)
