"""Fixtures shared by the optimizer tests.

Test modules here are imported by path (`--import-mode=importlib`), so the
NumPy references in `reference.py` reach them through the `reference`
fixture rather than through an import.
"""

import importlib.util
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

SHAPES = ((3,), (4, 5), (2, 3, 2))


def _load_reference():
    path = Path(__file__).with_name("reference.py")
    spec = importlib.util.spec_from_file_location("optimizer_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


@pytest.fixture(scope="session")
def run_steps():
    """`run(optimizer, initial, gradients) -> final values`, one `apply` per step.

    The steps run in one `tf.function` loop (traced once), as under `fit`.
    """

    def run(optimizer, initial, gradients):
        variables = [keras.Variable(value, dtype=value.dtype) for value in initial]
        optimizer.build(variables)
        per_variable = [
            tf.constant(np.stack([step[index] for step in gradients]))
            for index in range(len(initial))
        ]

        @tf.function
        def train():
            for step in tf.range(len(gradients)):
                optimizer.apply([gradient[step] for gradient in per_variable], variables)

        train()
        return [variable.numpy() for variable in variables]

    return run


def relative_error(actual, expected):
    """Largest absolute difference over the largest magnitude of `expected`."""
    return np.abs(np.asarray(actual) - expected).max() / np.abs(expected).max()


@pytest.fixture(scope="session")
def assert_same_as_keras(random_problem, run_steps):
    """`check(ours, builtin)`: 100 float32 steps of random gradients, bit for bit."""

    def check(ours, builtin):
        initial, gradients = random_problem("float32")
        expected = run_steps(builtin, initial, gradients)
        actual = run_steps(ours, initial, gradients)
        for actual_array, expected_array in zip(actual, expected, strict=True):
            np.testing.assert_array_equal(actual_array, expected_array)

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
            assert relative_error(actual_array, expected) <= 1e-12
            # A rule that did nothing would pass a loose check; this one moved.
            assert relative_error(value, expected) > 1e-3

    return check
