"""Newton's method and L-BFGS on the test functions, against closed forms and SciPy."""

import numpy as np
import pytest
import scipy.optimize

from plotting.landscape import FUNCTIONS, LandscapeError, TestFunction, trajectory
from plotting.landscape_figure import draw_landscape
from plotting.second_order import (
    METHODS,
    SecondOrderPath,
    label,
    lbfgs,
    method_names,
    newton,
    two_loop_direction,
)
from plotting.wolfe import C1, C2, LineSearchError, Trial, wolfe_line_search
from tests.plotting.extents import outside, render
from tests.plotting.test_landscape import GRADIENTS

# A quadratic f = 1/2 p.A p + b.p with a coupled, positive definite A and b != 0.
A = np.array([[3.0, 1.2], [1.2, 2.0]])
B = np.array([-1.0, 4.0])
COUPLED = TestFunction(
    "coupled",
    "p.A p / 2 + b.p",
    lambda x, y: (
        0.5 * (A[0, 0] * x**2 + 2 * A[0, 1] * x * y + A[1, 1] * y**2) + B[0] * x + B[1] * y
    ),
    minimum=(0.0, 0.0),  # not used: the closed form is computed in the test
    start=(2.0, -3.0),
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    steps=50,
)
# x^4 + y^2: its Hessian diag(12 x^2, 2) is singular on the line x = 0.
FLAT = TestFunction(
    "flat", "x⁴ + y²", lambda x, y: x**4 + y**2, (0.0, 0.0), (0.0, 1.0), ((-1, 1), (-1, 2)), 10
)
SCIPY_STARTS = {
    "rosenbrock": [FUNCTIONS["rosenbrock"].start, (-1.2, 1.0), (2.0, 2.0)],
    "beale": [FUNCTIONS["beale"].start, (2.0, 2.0), (0.5, 0.5)],
}
MINIMUM_TOLERANCE = 1e-5  # max |coordinate error|, at SciPy's default gtol = 1e-5


def rosenbrock_hessian(x, y):
    """Worked by hand from (1 - x)² + 100 (y - x²)²."""
    return np.array([[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200.0]])


def test_newton_reaches_the_quadratics_minimum_in_one_step_equal_to_the_closed_form():
    path = newton(COUPLED)
    closed_form = -np.linalg.solve(A, B)  # the minimizer -A^{-1} b
    assert path.steps == 1 and path.stopped == "converged" and path.learning_rate is None
    np.testing.assert_allclose(path.points[1], closed_form, rtol=1e-12, atol=1e-14)
    registry = newton(FUNCTIONS["quadratic"])  # b = 0: the minimum is the origin
    assert registry.steps == 1 and np.abs(registry.points[1]).max() <= 1e-15


def test_newtons_first_step_uses_the_hand_worked_hessian():
    start = np.array(FUNCTIONS["rosenbrock"].start)
    expected = start - np.linalg.solve(
        rosenbrock_hessian(*start), np.array(GRADIENTS["rosenbrock"](*start))
    )
    path = newton(FUNCTIONS["rosenbrock"], steps=1)
    assert path.stopped == "step limit"
    np.testing.assert_allclose(path.points[1], expected, rtol=1e-12)


@pytest.mark.parametrize("start", [FUNCTIONS["rosenbrock"].start, (-1.2, 1.0), (2.0, -0.5)])
def test_newton_converges_to_the_rosenbrock_minimum(start):
    path = newton(FUNCTIONS["rosenbrock"], start=start)  # to max |gradient| <= 1e-5
    assert path.stopped == "converged" and path.steps <= 20
    np.testing.assert_allclose(path.points[-1], (1.0, 1.0), atol=1e-4)
    tight = newton(FUNCTIONS["rosenbrock"], start=start, tolerance=1e-10)
    np.testing.assert_allclose(tight.points[-1], (1.0, 1.0), atol=1e-9)


def test_plain_newton_goes_to_the_saddle_point_and_says_so():
    path = newton(FUNCTIONS["saddle"])  # from (-1.5, 0.001): curvature -1 along y
    assert path.stopped == "saddle point" and label(path) == "newton (1 step, saddle point)"
    np.testing.assert_allclose(path.points[-1], (0.0, 0.0), atol=1e-8)
    assert path.losses[-1] == pytest.approx(0.25)  # f at the saddle, not the minimum's 0


def test_newton_stops_where_the_hessian_is_singular():
    path = newton(FLAT)
    assert path.stopped == "singular Hessian" and path.steps == 0
    assert label(path) == "newton (0 steps, singular Hessian)"


@pytest.mark.parametrize(
    ("name", "start"), [(name, start) for name, starts in SCIPY_STARTS.items() for start in starts]
)
def test_lbfgs_matches_scipys_lbfgsb_from_the_same_start(name, start):
    function = FUNCTIONS[name]
    reference = scipy.optimize.minimize(
        lambda point: function.value(*point),
        np.array(start),
        jac=lambda point: np.array(GRADIENTS[name](*point)),
        method="L-BFGS-B",  # defaults: 10 pairs, gtol 1e-5, as ours
    )
    assert reference.success
    path = lbfgs(function, start=start, steps=1000)
    assert path.stopped == "converged"
    for end in (path.points[-1], reference.x):
        np.testing.assert_allclose(end, function.minimum, atol=MINIMUM_TOLERANCE)
    assert 0.5 <= path.steps / reference.nit <= 2  # e.g. Rosenbrock 39 against 43


def test_the_two_loop_recursion_equals_the_bfgs_inverse_hessian_update():
    random = np.random.default_rng(0)
    pairs = []
    while len(pairs) < 4:
        s, y = random.normal(size=3), random.normal(size=3)
        if s @ y > 0.1:
            pairs.append((s, y))
    gradient = random.normal(size=3)
    s, y = pairs[-1]
    inverse = (s @ y) / (y @ y) * np.eye(3)  # H0 = gamma I
    for s, y in pairs:  # N&W eq. 6.17, oldest pair first
        rho = 1 / (y @ s)
        inverse = (np.eye(3) - rho * np.outer(s, y)) @ inverse @ (
            np.eye(3) - rho * np.outer(y, s)
        ) + rho * np.outer(s, s)
    np.testing.assert_allclose(two_loop_direction(gradient, pairs), -inverse @ gradient)
    np.testing.assert_array_equal(two_loop_direction(gradient, []), -gradient)


def test_the_line_search_step_meets_the_strong_wolfe_conditions():
    start = np.array(FUNCTIONS["rosenbrock"].start)
    gradient = np.array(GRADIENTS["rosenbrock"](*start))
    direction = -gradient

    def phi(alpha):
        point = start + alpha * direction
        slope = np.array(GRADIENTS["rosenbrock"](*point)) @ direction
        return Trial(alpha, FUNCTIONS["rosenbrock"].value(*point), slope, None)

    origin = phi(0.0)
    trial = wolfe_line_search(phi, origin, 1.0)  # a far first trial: bracketing, then zoom
    assert 0 < trial.alpha < 1
    assert trial.value <= origin.value + C1 * trial.alpha * origin.slope
    assert abs(trial.slope) <= C2 * abs(origin.slope)
    with pytest.raises(LineSearchError, match="not a descent direction"):
        wolfe_line_search(phi, origin._replace(slope=1.0), 1.0)


def test_method_names_from_the_command_line():
    assert method_names(None) == list(METHODS) == ["newton", "lbfgs"]
    assert method_names("lbfgs, newton") == ["lbfgs", "newton"]
    assert method_names("none") == []
    with pytest.raises(LandscapeError, match="'bfgs'.*newton, lbfgs"):
        method_names("newton,bfgs")


def test_second_order_paths_are_dashed_labelled_by_steps_and_keep_text_inside():
    function = FUNCTIONS["rosenbrock"]
    first_order = [trajectory(name, function, steps=300) for name in ("sgd", "adam")]
    second_order = [newton(function), lbfgs(function)]
    figure = draw_landscape(function, first_order + second_order, title="rosenbrock · 300 steps")
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    steps = [path.steps for path in second_order]
    assert labels[2:4] == [f"newton ({steps[0]} steps)", f"lbfgs ({steps[1]} steps)"]
    assert min(steps) > 1 and all(
        len(path.points) == n + 1 for path, n in zip(second_order, steps, strict=True)
    )
    contour_axis = figure.axes[0]
    paths = [line for line in contour_axis.get_lines() if len(line.get_xdata()) > 1]
    assert [line.get_linestyle() for line in paths] == ["-", "-", "--", "--"]
    np.testing.assert_array_equal(np.column_stack(paths[2].get_data()), second_order[0].points)
    assert (
        contour_axis.get_ylim()[0] < second_order[0].points[:, 1].min()
    )  # Newton's jump to y = -2.7 is in view
    assert outside(figure, render(figure)) == []


def test_a_path_is_a_trajectory_without_a_learning_rate():
    path = lbfgs(FUNCTIONS["quadratic"])
    assert isinstance(path, SecondOrderPath) and path.learning_rate is None
    assert len(path.points) == len(path.losses) == path.steps + 1
    assert path.evaluations >= path.steps + 1 and path.diverged_at is None
