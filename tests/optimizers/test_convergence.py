"""Every registered optimizer converges on a quadratic and on Rosenbrock's function."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import optimizers


def quadratic(x):
    """0.5 * sum(curvature * x ** 2), curvatures 1, 3 and 10; minimum at 0."""
    curvature = ops.convert_to_tensor([1.0, 3.0, 10.0], dtype=x.dtype)
    return 0.5 * ops.sum(curvature * ops.square(x))


def rosenbrock(x):
    """(1 - x0) ** 2 + 100 * (x1 - x0 ** 2) ** 2; minimum at (1, 1), in a curved valley."""
    return ops.square(1.0 - x[0]) + 100.0 * ops.square(x[1] - ops.square(x[0]))


def _decaying(initial_rate, halving_steps):
    return keras.optimizers.schedules.ExponentialDecay(initial_rate, halving_steps, 0.5)


# name -> (hyperparameters, steps) per problem, chosen by hand for each algorithm.
QUADRATIC = {
    "sgd": ({"learning_rate": 0.1}, 1000),
    "momentum": ({"learning_rate": 0.02}, 1000),
    "nesterov": ({"learning_rate": 0.02}, 1000),
    "adagrad": ({"learning_rate": 0.5}, 1000),
    "adadelta": ({"learning_rate": 1.0, "epsilon": 1e-6, "rho": 0.999}, 2000),
    # RMSProp's steps stay near learning_rate in size, so it circles the minimum at that scale.
    "rmsprop": ({"learning_rate": 0.003}, 2000),
    "adam": ({"learning_rate": 0.05}, 1000),
    "adamw": ({"learning_rate": 0.05, "weight_decay": 0.01}, 1000),
    "nadam": ({"learning_rate": 0.05}, 1000),
}
ROSENBROCK = {
    # Curvature reaches ~1000 near the minimum: plain SGD is stable only below 0.002.
    "sgd": ({"learning_rate": 0.0019}, 10000),
    "momentum": ({"learning_rate": 0.0005}, 10000),
    "nesterov": ({"learning_rate": 0.0005}, 10000),
    "adagrad": ({"learning_rate": 0.5}, 10000),
    # AdaDelta hovers short of the minimum at a constant rate; halving it settles it.
    "adadelta": ({"learning_rate": _decaying(1.0, 2000), "epsilon": 1e-6, "rho": 0.99}, 20000),
    "rmsprop": ({"learning_rate": 0.0005}, 10000),
    "adam": ({"learning_rate": 0.02}, 10000),
    "adamw": ({"learning_rate": 0.02, "weight_decay": 0.0}, 10000),
    "nadam": ({"learning_rate": 0.02}, 10000),
}
PROBLEMS = {
    "quadratic": (quadratic, [1.0, -2.0, 0.5], [0.0, 0.0, 0.0], QUADRATIC),
    "rosenbrock": (rosenbrock, [-1.2, 1.0], [1.0, 1.0], ROSENBROCK),
}


def _minimise(optimizer, function, start, steps):
    variable = keras.Variable(np.array(start, "float64"))
    optimizer.build([variable])

    @tf.function
    def descend():
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                loss = function(variable.value)
            optimizer.apply([tape.gradient(loss, variable.value)], [variable])

    descend()
    return variable.numpy()


def test_every_registered_optimizer_is_tested():
    assert set(QUADRATIC) == set(ROSENBROCK) == set(optimizers.OPTIMIZERS)


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("name", optimizers.OPTIMIZERS)
def test_converges(name, problem):
    function, start, minimum, settings = PROBLEMS[problem]
    hyperparameters, steps = settings[name]
    final = _minimise(optimizers.get(name, **hyperparameters), function, start, steps)
    # From about 2.2 away to within 0.01 of the minimum.
    assert np.linalg.norm(final - minimum) < 1e-2, final
