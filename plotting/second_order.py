"""Second-order paths on the 2-D test functions: Newton's method and L-BFGS.

They are drawn beside the optimizers' paths in the landscape figure, but they
are not training optimizers: they live here, outside `optimizers/` and its
registry (the README says why neither suits mini-batch training). Each
returns a `SecondOrderPath`: the iterates from the start, f there, why it
stopped, and how many evaluations it made. Sources: Nocedal, J. and Wright,
S. J., *Numerical Optimization*, 2nd ed., Springer, 2006 (N&W below).

Newton's method (N&W eq. 2.15 and chapter 3.3), with a unit step and no line
search:

    hessian p = -gradient,    point <- point + p

The gradient and the 2 x 2 Hessian are exact, from TensorFlow's automatic
differentiation of the function's formula (one `tf.GradientTape` inside
another; the Hessian is the Jacobian of the gradient), in float64. This is
plain Newton: it jumps to the stationary point of the local quadratic model
whatever the signs of the Hessian's eigenvalues, so where the Hessian is
indefinite it heads for a saddle. On the saddle function from its default
start (-1.5, 0.001) the curvature is 2 along x and 3y² - 1 ≈ -1 along y, and
Newton goes to the saddle point (0, 0) and stops there, its gradient zero,
although f decreases along y: the textbook failure, drawn on purpose (a
modified Newton, N&W chapter 3.4, would shift the eigenvalues and descend).
Such an end is reported as stopped by "saddle point", not "converged"; on
Beale, Newton from (1, 1.5) ends on the saddle point (0, 1) likewise.
Where the Hessian is singular (condition number above 1 / machine epsilon)
there is no Newton step: the path ends there, stopped by "singular Hessian".

L-BFGS (N&W Algorithm 7.5): the direction p = -H gradient by the two-loop
recursion (N&W Algorithm 7.4) over the last `memory` pairs
s = point_new - point, y = gradient_new - gradient, with the initial inverse
Hessian gamma I, gamma = s.y / y.y of the newest pair (N&W eq. 7.20), and a
step length alpha meeting the strong Wolfe conditions (plotting/wolfe.py,
N&W Algorithms 3.5 and 3.6): point <- point + alpha p. The first step, with
no pair yet, goes along -gradient with a first trial of length 1 in the
plane. A pair is kept only where s.y > 0, which the Wolfe curvature condition
guarantees in exact arithmetic, so H stays positive definite.

Both stop when the largest gradient component is at most `tolerance` (1e-5
by default, SciPy's L-BFGS-B `gtol`), or after `steps` steps (one step: one
new point, SciPy's `nit`). TensorFlow is imported when a path is computed,
not at module import.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from plotting.landscape import LandscapeError, TestFunction, Trajectory, finite_prefix
from plotting.wolfe import LineSearchError, Trial, wolfe_line_search

GRADIENT_TOLERANCE = 1e-5  # largest |gradient component|, as SciPy's L-BFGS-B gtol
MEMORY = 10  # curvature pairs kept by L-BFGS, as SciPy's maxcor
SINGULAR = 1 / np.finfo(np.float64).eps  # condition numbers beyond this: no Newton step


@dataclass(frozen=True)
class SecondOrderPath(Trajectory):
    """A path of Newton or L-BFGS; `learning_rate` is None (they have none).

    `stopped` is "converged", "saddle point" (Newton: converged where the
    Hessian has a negative eigenvalue), "step limit", "diverged" (gradient not
    finite), "singular Hessian" or "line search failed". `evaluations` counts
    evaluations of f and its gradient (and Hessian, for Newton). `steps` is the
    number of new points: len(points) - 1.
    """

    stopped: str = "converged"
    evaluations: int = 0

    @property
    def steps(self) -> int:
        return len(self.points) - 1


def newton(
    function: TestFunction, start=None, steps: int | None = None, tolerance=GRADIENT_TOLERANCE
) -> SecondOrderPath:
    """Plain Newton from `start` (x, y) (default: the function's) for at most `steps` steps.

    `steps` defaults to the function's number of steps for the optimizers.
    Returns the path: points (steps taken + 1, 2) float64, start first. A
    singular Hessian or a blow-up ends the path with its reason in `stopped`;
    nothing is raised (ImportError only where TensorFlow is missing).
    """
    derivatives = _derivatives(function, hessian=True)
    point = np.asarray(function.start if start is None else start, dtype=np.float64)
    points, limit, evaluations = [point], _steps(function, steps), 0
    while True:
        gradient, hessian = derivatives(point)[1:]
        evaluations += 1
        stopped = _stop(gradient, tolerance, len(points) > limit) or _singular(hessian)
        if stopped:
            break
        point = point + np.linalg.solve(hessian, -gradient)
        points.append(point)
    if stopped == "converged" and np.linalg.eigvalsh(hessian).min() < 0:
        stopped = "saddle point"  # a stationary point, but f decreases along an eigenvector
    return _path("newton", function, points, stopped, evaluations)


def lbfgs(
    function: TestFunction,
    start=None,
    steps: int | None = None,
    tolerance=GRADIENT_TOLERANCE,
    memory: int = MEMORY,
) -> SecondOrderPath:
    """L-BFGS from `start` (x, y) (default: the function's) for at most `steps` steps.

    `steps` defaults to the function's number of steps for the optimizers;
    `memory` is the number of curvature pairs kept (m in N&W). Returns the
    path: points (steps taken + 1, 2) float64, start first. A failed line
    search ends the path with its reason in `stopped`; nothing is raised
    (ImportError only where TensorFlow is missing).
    """
    evaluate = _Counted(_derivatives(function, hessian=False))
    point = np.asarray(function.start if start is None else start, dtype=np.float64)
    value, gradient = evaluate(point)
    points, pairs, limit = [point], deque(maxlen=memory), _steps(function, steps)
    while not (stopped := _stop(gradient, tolerance, len(points) > limit)):
        direction = two_loop_direction(gradient, pairs)
        first = 1.0 if pairs else 1 / np.linalg.norm(gradient)
        try:
            trial = _line_search(evaluate, point, value, gradient, direction, first)
        except LineSearchError:
            stopped = "line search failed"
            break
        step, change = trial.alpha * direction, trial.gradient - gradient
        if step @ change > 0:
            pairs.append((step, change))
        point, value, gradient = point + step, trial.value, trial.gradient
        points.append(point)
    return _path("lbfgs", function, points, stopped, evaluate.count)


def two_loop_direction(gradient: np.ndarray, pairs) -> np.ndarray:
    """-H gradient by N&W Algorithm 7.4; `pairs` are (s, y), oldest first; shapes (n,).

    With no pairs, H is the identity: the steepest-descent direction.
    """
    q = np.array(gradient, dtype=np.float64)
    alphas = []
    for s, y in reversed(pairs):  # newest first
        alpha = (s @ q) / (y @ s)
        q -= alpha * y
        alphas.append(alpha)
    if pairs:
        s, y = pairs[-1]
        q *= (s @ y) / (y @ y)  # H0 = gamma I, N&W eq. 7.20
    for (s, y), alpha in zip(pairs, reversed(alphas), strict=True):  # oldest first
        beta = (y @ q) / (y @ s)
        q += s * (alpha - beta)
    return -q


def label(path: SecondOrderPath) -> str:
    """The legend's text, e.g. "newton (6 steps)" or "newton (1 step, singular Hessian)"."""
    text = f"{path.optimizer} ({_count(path.steps, 'step')}"
    if path.stopped != "converged":
        text += f", {path.stopped}"
    return text + ")"


def describe(path: SecondOrderPath) -> str:
    """One line: the method, its steps and evaluations, where it ended and why it stopped."""
    (x, y), value = path.points[-1], path.losses[-1] if len(path.losses) else np.nan
    return (
        f"{path.optimizer:<9} {_count(path.steps, 'step')}, {path.evaluations} evaluations,"
        f" last point ({x:.6g}, {y:.6g})  f = {value:.3g}  {path.stopped}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


class _Counted:
    """A function of a point, counting its calls."""

    def __init__(self, evaluate):
        self.evaluate, self.count = evaluate, 0

    def __call__(self, point):
        self.count += 1
        return self.evaluate(point)


def _line_search(evaluate, point, value, gradient, direction, first: float) -> Trial:
    def phi(alpha: float) -> Trial:
        trial_value, trial_gradient = evaluate(point + alpha * direction)
        return Trial(alpha, trial_value, trial_gradient @ direction, trial_gradient)

    return wolfe_line_search(phi, Trial(0.0, value, gradient @ direction, gradient), first)


def _steps(function: TestFunction, steps: int | None) -> int:
    return function.steps if steps is None else steps


def _stop(gradient: np.ndarray, tolerance: float, at_limit: bool) -> str | None:
    """Why to stop here ("converged", "step limit", "diverged"), or None to go on."""
    if not np.isfinite(gradient).all():
        return "diverged"
    if np.max(np.abs(gradient)) <= tolerance:
        return "converged"
    return "step limit" if at_limit else None


def _singular(hessian: np.ndarray) -> str | None:
    if not np.isfinite(hessian).all():
        return "diverged"
    return "singular Hessian" if np.linalg.cond(hessian) > SINGULAR else None


def _path(name, function, points, stopped: str, evaluations: int) -> SecondOrderPath:
    points, losses, diverged_at = finite_prefix(function, np.array(points))
    return SecondOrderPath(name, None, points, losses, diverged_at, stopped, evaluations)


def _derivatives(function: TestFunction, hessian: bool):
    """point (2,) -> (f, gradient (2,)[, Hessian (2, 2)]) as NumPy float64, by autodiff."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float64)])
    def derivatives(point):
        with tf.GradientTape() as outer:
            outer.watch(point)
            with tf.GradientTape() as inner:
                inner.watch(point)
                value = function.value(point[0], point[1])
            gradient = inner.gradient(value, point)
        if not hessian:
            return value, gradient
        return value, gradient, outer.jacobian(gradient, point)

    def evaluate(point):
        return tuple(np.asarray(part) for part in derivatives(tf.constant(point, tf.float64)))

    return evaluate


METHODS = {"newton": newton, "lbfgs": lbfgs}  # name -> function(function, start, steps)
NONE = "none"


def method_names(text: str | None) -> list[str]:
    """ "newton,lbfgs" -> ["newton", "lbfgs"]; None: all METHODS; "none": [].

    Raises LandscapeError naming the choices for any other name.
    """
    if text is None:
        return list(METHODS)
    names = list(dict.fromkeys(name.strip().lower() for name in text.split(",")))
    if names == [NONE]:
        return []
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        raise LandscapeError(
            f"unknown second-order method {unknown[0]!r} (choose from: {', '.join(METHODS)},"
            f" or '{NONE}')"
        )
    return names
