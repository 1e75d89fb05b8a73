"""Two-dimensional test functions, and the paths our optimizers take on them.

`FUNCTIONS` is the registry: each entry has the function's formula, its value
(written with arithmetic operators only, so that the same code evaluates NumPy
arrays for the contour plot and TensorFlow tensors for the gradient), its
minimum, a default start, the plot bounds, a default number of steps and a
default learning rate per optimizer. Every minimum value is 0, so the loss
panel can use a log axis. The saddle, x² + (y² - 1)² / 4, is bounded below
(minima at (0, ±1), the one listed is the one above the start), unlike
x² - y², so that its values fit a log axis too.

The default numbers of steps differ because the functions do: 100 show the
zig-zag and the overshoot on the quadratic, while along Rosenbrock's curved
valley even the quick methods need about 1000 to reach the minimum.

The default learning rates are per optimizer, because one shared rate cannot
show them all: SGD-like methods step by `learning_rate * gradient`, so they
need roughly 1/curvature (about 1e-3 on Rosenbrock, whose curvature reaches
2000 there), while the adaptive methods step by about `learning_rate` in each
coordinate whatever the gradient, so they need a fraction of the plot's width
(about 0.05). AdaDelta's rate multiplies a step that starts near
sqrt(epsilon) = 3e-4 and grows slowly: at its paper's setting, 1.0, it barely
leaves the start in these step counts, so it gets 3-20. Nesterov shares
momentum's rate, AdamW and Nadam share Adam's. The rates live in each
optimizer's record (`landscape_learning_rates`, optimizers/records.py). Each
table is chosen so that, in the default number of steps, every path moves
visibly and stays finite;
`--learning_rate` sets one rate for all instead.

`trajectory` runs the optimizer classes of the `optimizers` registry
themselves: a `keras.Variable` of shape (2,) in float64, the function's value
(TensorFlow ops, through the operators) under a `tf.GradientTape`, and
`optimizer.apply_gradients` once per step, all steps in one `tf.function`.
Keras and TensorFlow are imported there, not at module import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizers.records import RECORDS, REGISTERED  # pure data: no Keras


class LandscapeError(ValueError):
    """A landscape that cannot be drawn (e.g. Keras is not on the TensorFlow backend)."""


@dataclass(frozen=True)
class TestFunction:
    """A 2-D function f(x, y) >= 0 with its minimum, default start and plot bounds."""

    name: str
    formula: str
    value: object  # f(x, y) with +, -, *, ** only
    minimum: tuple[float, float]
    start: tuple[float, float]
    bounds: tuple[tuple[float, float], tuple[float, float]]  # (x_low, x_high), (y_low, y_high)
    steps: int
    learning_rates: dict = field(default_factory=dict)

    __test__ = False  # not a pytest test class, despite the name


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def quadratic(x, y):
    return 0.5 * (x**2 + 20 * y**2)


def saddle(x, y):
    return x**2 + 0.25 * (y**2 - 1) ** 2


def _rates(function_name: str) -> dict:
    """The default rate of every registered optimizer on one function, from its record."""
    return {record.name: record.landscape_learning_rates[function_name] for record in RECORDS}


FUNCTIONS = {
    function.name: function
    for function in (
        TestFunction(
            "rosenbrock",
            "(1 - x)² + 100 (y - x²)²",
            rosenbrock,
            minimum=(1.0, 1.0),
            start=(-1.5, 2.0),
            bounds=((-2.0, 2.0), (-1.0, 3.0)),
            steps=1000,
            learning_rates=_rates("rosenbrock"),
        ),
        TestFunction(
            "beale",
            "(1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²",
            beale,
            minimum=(3.0, 0.5),
            start=(1.0, 1.5),
            bounds=((-1.0, 4.5), (-1.5, 2.0)),
            steps=500,
            learning_rates=_rates("beale"),
        ),
        TestFunction(
            "quadratic",
            "(x² + 20 y²) / 2",
            quadratic,
            minimum=(0.0, 0.0),
            start=(-4.0, 1.5),
            bounds=((-5.0, 5.0), (-2.5, 2.5)),
            steps=100,
            learning_rates=_rates("quadratic"),
        ),
        TestFunction(
            "saddle",
            "x² + (y² - 1)² / 4",
            saddle,
            minimum=(0.0, 1.0),
            start=(-1.5, 1e-3),
            bounds=((-2.0, 2.0), (-1.5, 1.5)),
            steps=200,
            learning_rates=_rates("saddle"),
        ),
    )
}


@dataclass(frozen=True)
class Trajectory:
    """The points an optimizer visited (start first) and f there, cut at divergence."""

    optimizer: str
    learning_rate: float
    points: np.ndarray  # (steps + 1, 2) without divergence
    losses: np.ndarray
    diverged_at: int | None  # the first step whose point or value is not finite


def optimizer_names(requested: list[str] | None) -> list[str]:
    """`requested` checked against the optimizers registry; None: all of it, in its order."""
    if requested is None:
        return list(REGISTERED)
    unknown = [name for name in requested if name not in REGISTERED]
    if unknown:
        raise LandscapeError(
            f"unknown optimizer {unknown[0]!r} (choose from: {', '.join(REGISTERED)})"
        )
    return requested


def describe(trajectory: Trajectory) -> str:
    """One line: the optimizer, its rate, and where it ended (or when it diverged)."""
    text = f"{trajectory.optimizer:<9} lr {trajectory.learning_rate:<8g}"
    if len(trajectory.points):
        (x, y), value = trajectory.points[-1], trajectory.losses[-1]
        text += f" last point ({x:.4g}, {y:.4g})  f = {value:.3g}"
    if trajectory.diverged_at is not None:
        text += f"  diverged at step {trajectory.diverged_at}"
    return text


def default_learning_rate(function: TestFunction, optimizer: str) -> float:
    """The function's table entry, or the optimizer's own default outside the table."""
    if optimizer in function.learning_rates:
        return function.learning_rates[optimizer]
    import optimizers  # Keras: only for a name outside the table

    return float(optimizers.hyperparameters(optimizer)["learning_rate"])


def trajectory(
    optimizer: str,
    function: TestFunction,
    start: tuple[float, float] | None = None,
    steps: int | None = None,
    learning_rate: float | None = None,
) -> Trajectory:
    """Run `optimizer` (a registry name) for `steps` steps on `function` from `start`.

    Left out, `start`, `steps` and `learning_rate` are the function's defaults.
    Keras holds the learning rate in float32: 1e-3 steps as 1.0000000475e-3.
    """
    steps = function.steps if steps is None else steps
    if learning_rate is None:
        learning_rate = default_learning_rate(function, optimizer)
    start = function.start if start is None else start
    points = _descend(optimizer, function, start, steps, learning_rate)
    with np.errstate(all="ignore"):  # a blown-up point overflows; it is cut below
        losses = function.value(points[:, 0], points[:, 1])
    finite = np.isfinite(points).all(axis=1) & np.isfinite(losses)
    diverged_at = None if finite.all() else int(np.argmin(finite))
    end = len(points) if diverged_at is None else diverged_at
    return Trajectory(optimizer, learning_rate, points[:end], losses[:end], diverged_at)


def _descend(optimizer_name, function, start, steps, learning_rate) -> np.ndarray:
    """The path of `optimizer.apply_gradients` on f, as a (steps + 1, 2) float64 array."""
    import keras

    if keras.backend.backend() != "tensorflow":
        raise LandscapeError(
            f"the landscape needs Keras's TensorFlow backend, not {keras.backend.backend()!r} "
            "(set KERAS_BACKEND=tensorflow)"
        )
    import tensorflow as tf

    import optimizers

    optimizer = optimizers.get(optimizer_name, learning_rate=learning_rate)
    position = keras.Variable(np.asarray(start, dtype="float64"), dtype="float64", name="xy")
    optimizer.build([position])

    @tf.function
    def descend():  # one graph for the loop: 0.1-0.3 s for 200 steps, against 1 s eagerly
        path = tf.TensorArray(tf.float64, size=steps + 1).write(0, position.value)
        for step in tf.range(steps):
            with tf.GradientTape() as tape:
                tape.watch(position.value)
                loss = function.value(position.value[0], position.value[1])
            gradient = tape.gradient(loss, position.value)
            optimizer.apply_gradients([(gradient, position)])
            path = path.write(step + 1, position.value)
        return path.stack()

    return descend().numpy()
