"""Performance ratios, profiles and AlgoPerf scores against values worked out independently."""

import math

import numpy as np
import pytest

from analysis.profiles import (
    benchmark_score,
    performance_ratios,
    profile,
    profile_curve,
    scores,
)

INF = math.inf


def numeric_score(ratios: list[float], tau_max: float = 4.0, points: int = 300_001) -> float:
    """B by brute force: rho counted on a fine grid of tau, integrated by the trapezoid rule."""
    taus = np.linspace(1.0, tau_max, points)
    counts = np.zeros_like(taus)
    for r in ratios:
        counts += taus >= r
    rho = counts / len(ratios)
    return float(np.sum((rho[1:] + rho[:-1]) / 2 * np.diff(taus)) / (tau_max - 1))


def test_ratios_divide_by_the_fastest_on_each_problem():
    times = {"p1": {"a": 100, "b": 200, "c": None}, "p2": {"a": 30, "b": 10, "c": 25}}
    ratios = performance_ratios(times)
    assert ratios == {"a": {"p1": 1.0, "p2": 3.0}, "b": {"p1": 2.0, "p2": 1.0},
                      "c": {"p1": INF, "p2": 2.5}}


def test_profile_counts_problems_within_tau():
    ratios = {"p1": 1.0, "p2": 3.0, "p3": INF, "p4": 1.5}
    assert profile(ratios, 1.0) == 0.25
    assert profile(ratios, 1.49) == 0.25
    assert profile(ratios, 1.5) == 0.5
    assert profile(ratios, 3.0) == 0.75
    assert profile(ratios, 1e9) == 0.75  # the unreached problem never counts


def test_score_by_hand():
    # a: ratios 1 and 3 -> integral of rho over [1, 4] = 0.5 * 3 + 0.5 * 1 = 2; B = 2 / 3.
    # b: ratios 2 and 1 -> 0.5 * 2 + 0.5 * 3 = 2.5; B = 2.5 / 3. c: inf and 2.5 -> 0.5 * 1.5.
    result = scores({"p1": {"a": 100, "b": 200, "c": None}, "p2": {"a": 30, "b": 10, "c": 25}})
    assert result["a"] == pytest.approx(2 / 3)
    assert result["b"] == pytest.approx(2.5 / 3)
    assert result["c"] == pytest.approx(0.75 / 3)


@pytest.mark.parametrize("ratios", [
    [1.0, 1.0, 1.0],
    [1.0, 2.0, INF],
    [1.7, 3.9, 4.0, 5.0],
    [INF],
    [1.0],
    [1.25, 2.5, 3.75, 1.0, INF, 10.0],
])
def test_score_equals_the_numerical_integral_of_the_profile(ratios):
    exact = benchmark_score(dict(enumerate(ratios)))
    assert exact == pytest.approx(numeric_score(ratios), abs=1e-4)


def test_ties_share_the_best_ratio():
    result = performance_ratios({"p": {"a": 50, "b": 50, "c": 75}})
    assert result == {"a": {"p": 1.0}, "b": {"p": 1.0}, "c": {"p": 1.5}}
    assert scores({"p": {"a": 50, "b": 50, "c": 75}}) == pytest.approx(
        {"a": 1.0, "b": 1.0, "c": 2.5 / 3})


def test_one_problem_scores_are_linear_in_the_ratio():
    result = scores({"only": {"fast": 10.0, "twice": 20.0, "slow": 50.0, "never": None}})
    assert result == pytest.approx({"fast": 1.0, "twice": 2 / 3, "slow": 0.0, "never": 0.0})


def test_a_problem_no_optimizer_reached_counts_against_all():
    result = scores({"easy": {"a": 1.0, "b": 2.0}, "hard": {"a": None, "b": INF}})
    assert result == pytest.approx({"a": 0.5, "b": 0.5 * 2 / 3})


def test_a_zero_time_is_best_and_only_ties_with_zero():
    assert performance_ratios({"p": {"a": 0, "b": 0, "c": 3}}) == {
        "a": {"p": 1.0}, "b": {"p": 1.0}, "c": {"p": INF}}


def test_problems_must_time_the_same_optimizers():
    with pytest.raises(ValueError, match="problem 'p2'"):
        performance_ratios({"p1": {"a": 1, "b": 2}, "p2": {"a": 1}})


def test_profile_curve_steps_at_each_ratio():
    taus, rhos = profile_curve({"p1": 1.0, "p2": 2.0, "p3": INF, "p4": 6.0})
    assert taus == [1.0, 2.0, 4.0]
    assert rhos == [0.25, 0.5, 0.5]
