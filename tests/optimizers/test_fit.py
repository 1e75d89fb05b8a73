"""Through `model.fit`, with and without XLA: bit for bit the Keras built-in.

Every variant trains with `clipnorm`, decoupled `weight_decay` and an
`ExponentialDecay` learning rate, so the base class's pieces run too.
"""

import keras
import numpy as np
import pytest

import optimizers

# variant -> (registry name, settings for ours and for the built-in alike): every
# registered optimizer with a Keras built-in at its defaults, and the options that
# switch on extra state.
VARIANTS = {
    **{record.name: (record.name, {}) for record in optimizers.RECORDS if record.keras_builtin},
    "rmsprop-centered-momentum": ("rmsprop", {"centered": True, "momentum": 0.5}),
    "adam-amsgrad": ("adam", {"amsgrad": True}),
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
    assert model.jit_compile is jit_compile  # XLA, when asked, and not quietly dropped
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    return model.get_weights()


# XLA compiles take about a second each: every algorithm once, not every variant.
CASES = [(variant, False) for variant in VARIANTS] + [
    (variant, True) for variant in VARIANTS if variant in optimizers.REGISTERED
]


def skip_torch_compile(jit_compile):
    """Under PyTorch, `jit_compile=True` is `torch.compile` (Inductor, about a minute
    per model on a CPU, and not Keras's torch default): those cases are skipped."""
    if jit_compile and keras.backend.backend() == "torch":
        pytest.skip("jit_compile=True is torch.compile under PyTorch: minutes per model on CPU")


@pytest.mark.parametrize(("variant", "jit_compile"), CASES)
def test_fit_equals_keras_builtin(keras_counterparts, assert_close, variant, jit_compile):
    skip_torch_compile(jit_compile)
    name, settings = VARIANTS[variant]
    actual = _train(optimizers.get(name, **settings, **_base_arguments()), jit_compile)
    builtin = optimizers.builtin(name, **settings, **_base_arguments())
    for theirs, rtol in keras_counterparts(builtin):
        for actual_array, expected in zip(actual, _train(theirs, jit_compile), strict=True):
            assert_close(actual_array, expected, rtol)
