"""A line search for the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5 and 3.6).

Nocedal, J. and Wright, S. J., *Numerical Optimization*, 2nd ed., Springer,
2006: chapter 3.5. Along a descent direction p from x, with
phi(alpha) = f(x + alpha p) and phi'(alpha) = grad f(x + alpha p) . p, it
returns a step length alpha satisfying the strong Wolfe conditions (eq. 3.7)

    phi(alpha) <= phi(0) + C1 alpha phi'(0)      sufficient decrease
    |phi'(alpha)| <= C2 |phi'(0)|                curvature

with C1 = 1e-4 and C2 = 0.9, the values the book gives for quasi-Newton
methods. Algorithm 3.5 doubles the trial step until it brackets an acceptable
one; Algorithm 3.6 ("zoom") shrinks the bracket, each trial the minimizer of
the quadratic through phi(low), phi'(low) and phi(high) (N&W chapter 3.5),
kept at least a tenth of the bracket's width from either end, so that each
trial shrinks the bracket by a tenth or more (the safeguard is ours: the book
asks for one and leaves the choice open).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

C1 = 1e-4
C2 = 0.9
MAX_TRIALS = 20  # per phase (bracketing, zoom): SciPy's L-BFGS-B allows 20 (maxls)
SAFEGUARD = 0.1  # fraction of the bracket kept free at each end


class LineSearchError(ArithmeticError):
    """No step length meets the strong Wolfe conditions within MAX_TRIALS trials."""


class Trial(NamedTuple):
    """One trial step: its length, phi and phi' there, and the gradient of f there."""

    alpha: float
    value: float
    slope: float
    gradient: np.ndarray


def wolfe_line_search(phi: Callable[[float], Trial], start: Trial, alpha: float) -> Trial:
    """Algorithm 3.5 from `start` (alpha = 0) with first trial `alpha`; the accepted Trial.

    `phi(alpha)` evaluates f and its gradient at x + alpha p. Raises
    LineSearchError when p is not a descent direction (phi'(0) >= 0) or no
    acceptable step is found.
    """
    if not start.slope < 0:
        raise LineSearchError(f"not a descent direction: phi'(0) = {start.slope:g}")
    previous = start
    for _ in range(MAX_TRIALS):
        trial = phi(alpha)
        if _too_high(trial, start) or (previous is not start and trial.value >= previous.value):
            return _zoom(phi, start, previous, trial)
        if abs(trial.slope) <= -C2 * start.slope:
            return trial
        if trial.slope >= 0:
            return _zoom(phi, start, trial, previous)
        previous, alpha = trial, 2 * alpha
    raise LineSearchError(f"no bracket in {MAX_TRIALS} doublings of the step")


def _zoom(phi, start: Trial, low: Trial, high: Trial) -> Trial:
    """Algorithm 3.6: `low` satisfies sufficient decrease, the step sought lies towards `high`."""
    for _ in range(MAX_TRIALS):
        trial = phi(_interpolate(low, high))
        if _too_high(trial, start) or trial.value >= low.value:
            high = trial
            continue
        if abs(trial.slope) <= -C2 * start.slope:
            return trial
        if trial.slope * (high.alpha - low.alpha) >= 0:
            high = low
        low = trial
    raise LineSearchError(f"the bracket did not yield a Wolfe step in {MAX_TRIALS} trials")


def _too_high(trial: Trial, start: Trial) -> bool:
    """Not sufficient decrease (the first Wolfe condition fails), or f not finite there."""
    bound = start.value + C1 * trial.alpha * start.slope
    return not np.isfinite(trial.value) or trial.value > bound


def _interpolate(low: Trial, high: Trial) -> float:
    """The quadratic's minimizer, kept a tenth of the bracket from its ends; else the midpoint.

    The midpoint is taken where the quadratic has no minimum (a concave or
    non-finite fit).
    """
    width = high.alpha - low.alpha
    curvature = high.value - low.value - low.slope * width  # the quadratic's c * width²
    if not (np.isfinite(curvature) and curvature > 0):
        return low.alpha + 0.5 * width
    alpha = low.alpha - low.slope * width**2 / (2 * curvature)
    margin = SAFEGUARD * abs(width)
    inner_low, inner_high = sorted((low.alpha, high.alpha))
    return float(np.clip(alpha, inner_low + margin, inner_high - margin))
