"""Landscapes: the registry, the paths our optimizers take (against independent steps), figure."""

import keras
import numpy as np
import pytest
from matplotlib.contour import QuadContourSet

import optimizers
from plotting.landscape import FUNCTIONS, trajectory
from plotting.landscape_figure import draw_landscape
from tests.plotting.extents import outside, render

# The gradients, worked by hand from the formulas (not taken from the code under test).
GRADIENTS = {
    "rosenbrock": lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
    "beale": lambda x, y: (
        2 * (1.5 - x + x * y) * (y - 1)
        + 2 * (2.25 - x + x * y**2) * (y**2 - 1)
        + 2 * (2.625 - x + x * y**3) * (y**3 - 1),
        2 * (1.5 - x + x * y) * x
        + 2 * (2.25 - x + x * y**2) * 2 * x * y
        + 2 * (2.625 - x + x * y**3) * 3 * x * y**2,
    ),
    "quadratic": lambda x, y: (x, 20 * y),
    "saddle": lambda x, y: (2 * x, y * (y**2 - 1)),
}
MINIMA = {"rosenbrock": (1, 1), "beale": (3, 0.5), "quadratic": (0, 0), "saddle": (0, 1)}
CHECKED_STEPS = 5
_paths = {}


def default_path(function_name, optimizer):
    """The path at the function's default start, steps and learning rate, computed once."""
    key = function_name, optimizer
    if key not in _paths:
        _paths[key] = trajectory(optimizer, FUNCTIONS[function_name])
    return _paths[key]


def test_the_registry_holds_the_four_functions_with_their_minima():
    assert set(FUNCTIONS) == set(GRADIENTS) == set(MINIMA)
    for name, function in FUNCTIONS.items():
        assert function.minimum == MINIMA[name]
        assert function.value(*function.minimum) == 0
        assert np.allclose(GRADIENTS[name](*function.minimum), 0)
        (x_low, x_high), (y_low, y_high) = function.bounds
        assert x_low < function.start[0] < x_high and y_low < function.start[1] < y_high
        assert set(function.learning_rates) == set(optimizers.OPTIMIZERS)


def test_the_value_agrees_with_the_hand_worked_gradient():
    for name, function in FUNCTIONS.items():
        point, step = np.array([0.3, -0.7]), 1e-6
        for axis in (0, 1):
            shift = np.eye(2)[axis] * step
            rise = function.value(*(point + shift)) - function.value(*(point - shift))
            slope = rise / (2 * step)
            assert slope == pytest.approx(GRADIENTS[name](*point)[axis], rel=1e-6, abs=1e-8)


def test_sgd_path_equals_plain_gradient_descent_in_numpy():
    # x_{t+1} = x_t - rate * grad f(x_t), with the rate as Keras holds it: in float32.
    rate = float(np.float32(1e-3))
    path = trajectory("sgd", FUNCTIONS["rosenbrock"], (-1.2, 1.0), 50, learning_rate=1e-3).points
    expected = [np.array([-1.2, 1.0])]
    for _ in range(50):
        expected.append(expected[-1] - rate * np.array(GRADIENTS["rosenbrock"](*expected[-1])))
    np.testing.assert_allclose(path, expected, rtol=1e-12)


@pytest.mark.parametrize("function_name", list(FUNCTIONS))
@pytest.mark.parametrize("optimizer", list(optimizers.OPTIMIZERS))
def test_every_optimizer_takes_its_own_apply_gradients_steps_and_stays_finite(
    function_name, optimizer
):
    function = FUNCTIONS[function_name]
    path = default_path(function_name, optimizer)
    assert path.diverged_at is None and np.isfinite(path.points).all()
    assert len(path.points) == function.steps + 1
    np.testing.assert_array_equal(path.points[0], function.start)
    # The same class, stepped eagerly on a fresh variable with the analytic gradient.
    instance = optimizers.get(optimizer, learning_rate=function.learning_rates[optimizer])
    variable = keras.Variable(np.array(function.start), dtype="float64")
    for step in range(1, CHECKED_STEPS + 1):
        gradient = np.array(GRADIENTS[function_name](*variable.numpy()))
        instance.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
        np.testing.assert_allclose(path.points[step], variable.numpy(), rtol=1e-9, atol=1e-12)
    assert np.linalg.norm(path.points[-1] - path.points[0]) > 0.05  # it visibly moved


def test_a_divergent_path_is_cut_at_its_last_finite_point():
    path = trajectory("sgd", FUNCTIONS["rosenbrock"], steps=60, learning_rate=0.05)
    assert path.diverged_at is not None and 1 <= path.diverged_at <= 60
    assert len(path.points) == len(path.losses) == path.diverged_at
    assert np.isfinite(path.points).all() and np.isfinite(path.losses).all()


def test_figure_has_the_contour_panel_with_the_paths_and_the_loss_panel():
    function = FUNCTIONS["quadratic"]
    paths = [default_path("quadratic", name) for name in ("sgd", "momentum", "adam")]
    figure = draw_landscape(function, paths)
    contour_axis, loss_axis = figure.axes
    assert any(isinstance(item, QuadContourSet) for item in contour_axis.get_children())
    assert (contour_axis.get_xlabel(), contour_axis.get_ylabel()) == ("x", "y")
    lines = [line for line in contour_axis.get_lines() if len(line.get_xdata()) > 1]
    for line, path in zip(lines, paths, strict=True):
        np.testing.assert_array_equal(np.column_stack(line.get_data()), path.points)
    assert loss_axis.get_yscale() == "log" and loss_axis.get_xlabel() == "step"
    for line, path in zip(loss_axis.get_lines(), paths, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), path.losses)
    [legend] = figure.legends
    labels = [text.get_text() for text in legend.get_texts()]
    assert labels == ["sgd (lr 0.09)", "momentum (lr 0.02)", "adam (lr 0.1)", "start", "minimum"]


def test_a_diverged_path_is_marked_and_labelled():
    path = trajectory("sgd", FUNCTIONS["rosenbrock"], steps=60, learning_rate=0.05)
    figure = draw_landscape(FUNCTIONS["rosenbrock"], [path])
    contour_axis, loss_axis = figure.axes
    (x_low, x_high), (y_low, y_high) = contour_axis.get_xlim(), contour_axis.get_ylim()
    [mark] = contour_axis.collections[-1].get_offsets()
    assert x_low <= mark[0] <= x_high and y_low <= mark[1] <= y_high  # on the edge if outside
    assert len(loss_axis.collections) == 1
    [legend] = figure.legends
    assert f"diverged at step {path.diverged_at}" in legend.get_texts()[0].get_text()


def test_real_runs_with_diverged_labels_keep_every_text_inside_the_figure():
    # Rosenbrock's figure is the narrowest; at rate 10 the SGD family diverges, and its
    # labels ("sgd (lr 10), diverged at step 2") made five columns wider than the figure.
    function = FUNCTIONS["rosenbrock"]
    names = optimizers.OPTIMIZERS
    paths = [trajectory(name, function, steps=10, learning_rate=10.0) for name in names]
    assert sum(path.diverged_at is not None for path in paths) >= 3
    figure = draw_landscape(function, paths, title="rosenbrock · 10 steps · rates one for all")
    assert outside(figure, render(figure)) == []
