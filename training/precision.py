"""Mixed precision and XLA for one run: which dtype policy and jit setting it trains with.

`--mixed_precision` computes in 16 bits and keeps the variables (and so every
optimizer slot) in float32 (Keras's dtype policies, keras.io "Mixed precision"):
`mixed_float16` on a GPU (tensor cores), `mixed_bfloat16` on a CPU (float16
has no fast CPU kernels; bfloat16 keeps float32's exponent range). Under
`mixed_float16` Keras's `Model.compile` wraps the optimizer in its
`LossScaleOptimizer`, which multiplies the loss by a dynamic scale (2**15 at
first, halved on a non-finite gradient, doubled after 2,000 finite steps) and
divides the gradients by it before our optimizer's update (and clipping) sees
them; bfloat16 needs no loss scaling.

`--jit_compile auto|on|off` is Keras's `jit_compile`. Keras compiles with XLA
only where TensorFlow's op determinism is off (not every XLA op has a
deterministic kernel; keras/src/trainers/trainer.py, `model_supports_jit`),
and this toolkit keeps determinism on so that a resumed or rescheduled run
repeats bit for bit. So `auto` and `off` train without XLA, and `on` turns op
determinism off for that run (the history's environment records both): XLA
at the price of repeatability.
"""

from __future__ import annotations

import keras

JIT_COMPILE = {"auto": "auto", "on": True, "off": False}

def policy_name(mixed_precision: bool, device: str) -> str:
    """The Keras dtype policy of a run on `device` (a description: "CPU", "GPU (...)")."""
    if not mixed_precision:
        return "float32"
    return "mixed_float16" if device.startswith("GPU") else "mixed_bfloat16"


def check_honoured(policy: str, hyperparameters: dict) -> None:
    """ValueError (one line) for an optimizer setting the policy cannot honour.

    Under `mixed_float16` Keras's `LossScaleOptimizer` sets the inner
    optimizer's `loss_scale_factor` to None (keras/src/optimizers/
    loss_scale_optimizer.py: "otherwise gradients will be scaled twice") and
    scales dynamically instead, so a fixed factor asked for would be dropped
    without a word. Under `mixed_bfloat16` and float32 it is applied.
    """
    factor = hyperparameters.get("loss_scale_factor")
    if policy == "mixed_float16" and factor is not None:
        raise ValueError(f"--mixed_precision trains in mixed_float16 here, whose dynamic loss "
                         f"scaling replaces --loss_scale_factor {factor}; drop one of the two")


def use_determinism(jit_compile: str) -> bool:
    """Turn TensorFlow's op determinism on, or off for `jit_compile` "on"; whether it is on.

    Process-wide, so set before each run.
    """
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config  # no public switch-off

    if jit_compile == "on":
        tf_config.disable_op_determinism()
        return False
    tf.config.experimental.enable_op_determinism()
    return True


def use_policy(name: str) -> None:
    """Make `name` Keras's global dtype policy (per process: set before each model build)."""
    keras.mixed_precision.set_dtype_policy(name)
