"""Every registered optimizer converges on a quadratic and on Rosenbrock's function.

The hyperparameters and step counts come from each record's `convergence`.
"""

import keras
import numpy as np
import pytest
from keras import ops

import optimizers


def quadratic(x):
    """0.5 * sum(curvature * x ** 2), curvatures 1, 3 and 10; minimum at 0."""
    curvature = ops.convert_to_tensor([1.0, 3.0, 10.0], dtype=x.dtype)
    return 0.5 * ops.sum(curvature * ops.square(x))


def rosenbrock(x):
    """(1 - x0) ** 2 + 100 * (x1 - x0 ** 2) ** 2; minimum at (1, 1), in a curved valley."""
    return ops.square(1.0 - x[0]) + 100.0 * ops.square(x[1] - ops.square(x[0]))


PROBLEMS = {
    "quadratic": (quadratic, [1.0, -2.0, 0.5], [0.0, 0.0, 0.0]),
    "rosenbrock": (rosenbrock, [-1.2, 1.0], [1.0, 1.0]),
}


def _settings(name, problem):
    """The record's hyperparameters and step count for `problem` (see optimizers/records.py)."""
    settings = dict(optimizers.records.record(name).convergence[problem])
    steps = settings.pop("steps")
    halving_steps = settings.pop("halving_steps", None)
    if halving_steps is not None:
        settings["learning_rate"] = keras.optimizers.schedules.ExponentialDecay(
            settings["learning_rate"], halving_steps, 0.5
        )
    return settings, steps


def _minimise(train_loop, gradient_of, optimizer, function, start, steps):
    variable = keras.Variable(np.array(start, "float64"))
    gradient = gradient_of(function)
    train_loop(optimizer, [variable], lambda step, values: [gradient(values[0])], steps)
    return variable.numpy()


def test_every_record_has_settings_for_every_problem():
    for record in optimizers.RECORDS:
        assert set(record.convergence) == set(PROBLEMS), record.name


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("name", optimizers.REGISTERED)
def test_converges(train_loop, gradient_of, name, problem):
    if problem == "rosenbrock" and keras.backend.backend() == "torch":
        # Eager PyTorch pays Keras's Python-level `apply` on each of the 10^4 steps:
        # about 20 s per optimizer. The quadratic (10^3 steps) runs.
        pytest.skip("Rosenbrock's 10^4 eager steps per optimizer are too slow under PyTorch")
    function, start, minimum = PROBLEMS[problem]
    hyperparameters, steps = _settings(name, problem)
    optimizer = optimizers.get(name, **hyperparameters)
    final = _minimise(train_loop, gradient_of, optimizer, function, start, steps)
    # From about 2.2 away to within 0.01 of the minimum.
    assert np.linalg.norm(final - minimum) < 1e-2, final
