"""Fixtures shared by the optimizer tests.

Test modules here are imported by path (`--import-mode=importlib`), so the
NumPy references in `reference.py` reach them through the `reference`
fixture rather than through an import.

The suite runs under the backend that `KERAS_BACKEND` names (tests/conftest.py
defaults it to TensorFlow). `train_loop` and `gradient_of` run a training
loop the backend's own way: one `tf.function` under TensorFlow, one
`jax.jit` of a `lax.fori_loop` over `stateless_apply` under JAX (as Keras's
JAX trainer does), a plain Python loop under PyTorch (eager, as Keras's
torch trainer runs without `jit_compile`).
"""

import importlib.util
import types
from pathlib import Path

import keras
import numpy as np
import pytest

SHAPES = ((3,), (4, 5), (2, 3, 2))


def _load_reference():
    path = Path(__file__).with_name("reference.py")
    spec = importlib.util.spec_from_file_location("optimizer_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _op_determinism_off():
    """Each optimizer test sees TensorFlow's op determinism off, as when this folder runs
    alone. A training test elsewhere in the suite turns it on process-wide, and with it
    on Keras quietly compiles `jit_compile=True` without XLA (trainer.py,
    `model_supports_jit`), which would leave the XLA parity checks checking nothing."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config  # no public switch-off

    was_on = tf_config.is_op_determinism_enabled()
    tf_config.disable_op_determinism()
    yield
    if was_on:
        tf.config.experimental.enable_op_determinism()


@pytest.fixture(scope="session")
def reference():
    """The module of float64 NumPy reference implementations."""
    return _load_reference()


@pytest.fixture(scope="session")
def random_problem():
    """`make(dtype, steps=100, seed=0) -> (initial values, gradients per step)`.

    One array per shape in `SHAPES`; values and gradients are standard
    normal, so every coordinate sees gradients of both signs and sizes.
    """

    def make(dtype, steps=100, seed=0):
        rng = np.random.default_rng(seed)
        initial = [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
        gradients = [
            [rng.standard_normal(shape).astype(dtype) for shape in SHAPES] for _ in range(steps)
        ]
        return initial, gradients

    return make


def _tensorflow_loop(optimizer, variables, gradient_fn, steps):
    import tensorflow as tf

    @tf.function
    def train():
        for step in tf.range(steps):
            values = [variable.value for variable in variables]
            optimizer.apply(gradient_fn(step, values), variables)

    train()


def _jax_loop(optimizer, variables, gradient_fn, steps):
    import jax

    def body(step, state):
        values, optimizer_values = state
        return optimizer.stateless_apply(optimizer_values, gradient_fn(step, values), values)

    state = ([variable.value for variable in variables], [v.value for v in optimizer.variables])
    values, optimizer_values = jax.jit(lambda s: jax.lax.fori_loop(0, steps, body, s))(state)
    pairs = zip([*variables, *optimizer.variables], [*values, *optimizer_values], strict=True)
    for variable, value in pairs:
        variable.assign(value)


def _eager_loop(optimizer, variables, gradient_fn, steps):
    for step in range(steps):
        values = [variable.value for variable in variables]
        optimizer.apply(gradient_fn(step, values), variables)


_LOOPS = {"tensorflow": _tensorflow_loop, "jax": _jax_loop, "torch": _eager_loop}


@pytest.fixture(scope="session")
def train_loop():
    """`loop(optimizer, variables, gradient_fn, steps)`: `steps` calls of `apply`.

    `gradient_fn(step, values)` returns the gradients (backend tensors) for the
    variables' current `values`; `step` is a traced scalar under TensorFlow and
    JAX. The optimizer is built on `variables` first; they and the
    optimizer's state hold the final values afterwards.
    """

    def loop(optimizer, variables, gradient_fn, steps):
        optimizer.build(variables)
        _LOOPS[keras.backend.backend()](optimizer, variables, gradient_fn, steps)

    return loop


@pytest.fixture(scope="session")
def gradient_of():
    """`gradient_of(function)(value) -> d function / d value` by the backend's autodiff."""

    def make(function):
        backend = keras.backend.backend()
        if backend == "jax":
            import jax

            return jax.grad(function)
        if backend == "torch":
            import torch

            def torch_gradient(value):
                value = value.detach().requires_grad_(True)
                return torch.autograd.grad(function(value), value)[0]

            return torch_gradient
        import tensorflow as tf

        def tensorflow_gradient(value):
            with tf.GradientTape() as tape:
                tape.watch(value)
                loss = function(value)
            return tape.gradient(loss, value)

        return tensorflow_gradient

    return make


@pytest.fixture(scope="session")
def run_steps(train_loop):
    """`run(optimizer, initial, gradients) -> final values`, one `apply` per step,
    in one traced loop (see `train_loop`), as under `fit`."""

    def run(optimizer, initial, gradients):
        variables = [keras.Variable(value, dtype=value.dtype) for value in initial]
        per_variable = [
            keras.ops.convert_to_tensor(np.stack([step[index] for step in gradients]))
            for index in range(len(initial))
        ]
        train_loop(
            optimizer,
            variables,
            lambda step, values: [gradient[step] for gradient in per_variable],
            len(gradients),
        )
        return [keras.ops.convert_to_numpy(variable.value) for variable in variables]

    return run


def _sparse_rows(values, indices, dense_shape):
    values = keras.ops.convert_to_tensor(values)
    indices = np.asarray(indices, "int32")
    if keras.backend.backend() == "jax":
        from jax.experimental import sparse

        return sparse.BCOO((values, indices[:, None]), shape=tuple(dense_shape))
    import tensorflow as tf

    return tf.IndexedSlices(values, tf.constant(indices), dense_shape=tf.constant(dense_shape))


def _densified(gradient):
    if keras.backend.backend() == "jax":
        return gradient.todense()
    import tensorflow as tf

    return tf.convert_to_tensor(gradient)


@pytest.fixture(scope="session")
def sparse_rows():
    """`(make, densify)`: the backend's sparse gradient and its own dense conversion.

    `make(values, indices, dense_shape)` gives the rows `values[i]` at rows
    `indices[i]` (repeats allowed) as Keras's sparse gradient of the backend:
    a `tf.IndexedSlices` under TensorFlow, a `jax.experimental.sparse.BCOO`
    under JAX (the two of Keras's own sparse optimizer tests). `densify` is
    the backend's conversion (`tf.convert_to_tensor`, `BCOO.todense`), which
    sums repeated rows. PyTorch has no sparse gradients in Keras
    (`keras.src.backend.SUPPORTS_SPARSE_TENSORS` is False there): skipped.
    """
    if keras.backend.backend() not in ("tensorflow", "jax"):
        pytest.skip(f"Keras's {keras.backend.backend()} backend has no sparse gradients")
    return _sparse_rows, _densified


def relative_error(actual, expected):
    """Largest absolute difference over the largest magnitude of `expected`."""
    return np.abs(np.asarray(actual) - expected).max() / np.abs(expected).max()


# Keras's PyTorch backend swaps most built-ins for a subclass that updates all
# variables at once with `torch._foreach_*` calls (keras/src/backend/torch/optimizers),
# where `_foreach_add_(x, y, alpha=a)` rounds `x + a * y` once, not twice as the
# built-in's own `update_step` (and ours) does, and forms weight decay as
# `x * (1 - decay * lr)`. Ours equal the built-in's own rule bit for bit; against
# the rewrite the largest relative difference measured is 1.8e-5, through `fit`
# (Nadam, on an element of 0.03), below 1e-5 over the 100 random steps.
TORCH_FOREACH_RTOL = 5e-5


# Against the float64 references. Keras's PyTorch backend turns a Python float into a
# tensor of dtype floatx (float32) before an op combines it with a float64 tensor
# (`ops.multiply(0.95, x)` multiplies by float32(0.95)), and its `_apply_weight_decay`
# forms `1 - weight_decay * learning_rate` in float32: hyperparameters reach float64
# variables rounded to float32 there, in the built-ins as in ours. Largest relative
# error measured over the registry: 2.7e-8 (Adamax); TensorFlow and JAX: <= 1e-12.
# (Keras's JAX and PyTorch backends also reduce a float64 `ops.mean` and `ops.norm` in
# float32, and PyTorch's `ops.matmul` returns float32: `BIT64_TO_BIT32_DTYPE` in
# keras/src/backend/common/dtypes.py. Adafactor and Muon go around the first two in
# float64; see `optimizers.adafactor._mean` and `optimizers.muon.frobenius_norm`.)
FLOAT64_RTOL = {"tensorflow": 1e-12, "jax": 1e-12, "torch": 1e-7}


def _generic_copy(builtin):
    """A copy of `builtin` that runs its `update_step` per variable, in `keras.ops`:
    `_backend_update_step` as the class after `TorchParallelOptimizer` defines it (the
    built-in's own, as Nadam's, or `BaseOptimizer`'s loop)."""
    from keras.src.backend.torch.optimizers.torch_parallel_optimizer import (
        TorchParallelOptimizer,
    )

    mro = type(builtin).__mro__
    after = mro[mro.index(TorchParallelOptimizer) + 1 :]
    method = next(
        c.__dict__["_backend_update_step"] for c in after if "_backend_update_step" in c.__dict__
    )
    copy = type(builtin).from_config(builtin.get_config())
    copy._backend_update_step = types.MethodType(method, copy)
    return copy


@pytest.fixture(scope="session")
def keras_counterparts():
    """`counterparts(builtin) -> [(instance, rtol)]`: what ours must equal, and how.

    Everywhere, the built-in's own `keras.ops` rule with `rtol=0` (bit for bit).
    Under PyTorch, where Keras runs a `torch._foreach_*` rewrite of the rule
    instead, also that rewrite within `TORCH_FOREACH_RTOL`.
    """

    def counterparts(builtin):
        if not hasattr(builtin, "_parallel_update_step"):
            return [(builtin, 0.0)]
        return [(_generic_copy(builtin), 0.0), (builtin, TORCH_FOREACH_RTOL)]

    return counterparts


def _assert_close(actual, expected, rtol, err_msg=""):
    """Bit for bit when `rtol` is 0, else `assert_allclose` (relative to `expected`)."""
    if rtol == 0:
        np.testing.assert_array_equal(actual, expected, err_msg=err_msg)
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, err_msg=err_msg)


@pytest.fixture(scope="session")
def assert_close():
    """`check(actual, expected, rtol)`: bit for bit when `rtol` is 0, else within it."""
    return _assert_close


@pytest.fixture(scope="session")
def assert_same_as_keras(random_problem, run_steps, keras_counterparts):
    """`check(ours, builtin)`: 100 float32 steps of random gradients, bit for bit
    (against PyTorch's `_foreach` rewrite: within `TORCH_FOREACH_RTOL`)."""

    def check(ours, builtin):
        initial, gradients = random_problem("float32")
        actual = run_steps(ours, initial, gradients)
        for counterpart, rtol in keras_counterparts(builtin):
            expected = run_steps(counterpart, initial, gradients)
            for actual_array, expected_array in zip(actual, expected, strict=True):
                _assert_close(actual_array, expected_array, rtol)

    return check


@pytest.fixture(scope="session")
def assert_matches_reference(random_problem, run_steps):
    """`check(optimizer, reference_function, **hyperparameters)` in float64.

    100 steps of random gradients on every shape; the relative error of each
    final array against `reference_function(initial, gradients, **hp)` must be
    at most 1e-12. Keras stores the learning rate (and casts `weight_decay`)
    through float32, so tests pick values float32 holds exactly (0.0625, ...).
    """

    def check(optimizer, reference_function, **hyperparameters):
        initial, gradients = random_problem("float64")
        actual = run_steps(optimizer, initial, gradients)
        for index, (value, actual_array) in enumerate(zip(initial, actual, strict=True)):
            own_gradients = [step[index] for step in gradients]
            expected = reference_function(value, own_gradients, **hyperparameters)
            error = relative_error(actual_array, expected)
            assert error <= FLOAT64_RTOL[keras.backend.backend()]
            # A rule that did nothing would pass a loose check; this one moved.
            assert relative_error(value, expected) > 1e-3

    return check
