"""95% intervals and the tests against the best, against published t quantiles and NumPy."""

import math

import numpy as np
import pytest

from analysis import statistics
from analysis.statistics import BEST, BETTER, SAME, WORSE, Comparison

# Student-t 0.975 quantiles as printed in published tables (NIST/SEMATECH e-Handbook
# 1.3.6.7.2; Abramowitz & Stegun table 26.10 for 40, 60, 120).
PUBLISHED_T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 9: 2.262, 10: 2.228, 29: 2.045,
                   30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980}  # fmt: skip


@pytest.mark.parametrize("df", PUBLISHED_T_975)
def test_t_quantile_matches_published_tables(df):
    assert statistics.t_quantile_975(df) == pytest.approx(PUBLISHED_T_975[df], abs=5e-4)


def test_t_quantile_tends_to_the_normal_and_rejects_zero_degrees_of_freedom():
    assert statistics.t_quantile_975(10**6) == pytest.approx(1.960, abs=5e-4)
    assert statistics.t_quantile_975(31) < statistics.t_quantile_975(30)
    with pytest.raises(ValueError, match="degrees of freedom"):
        statistics.t_quantile_975(0)


@pytest.mark.parametrize(
    ("values", "t"),
    [([0.93, 0.94], 12.706), ([0.93, 0.94, 0.90], 4.303), ([0.5, 0.7, 0.6, 0.65, 0.55], 2.776)],
)
def test_confidence_interval_is_mean_plus_minus_t_s_over_root_n(values, t):
    half_width = t * np.std(values, ddof=1) / math.sqrt(len(values))
    low, high = statistics.confidence_interval(values)
    assert low == pytest.approx(np.mean(values) - half_width, rel=1e-4)
    assert high == pytest.approx(np.mean(values) + half_width, rel=1e-4)


def test_no_interval_from_one_value_and_non_finite_values_are_dropped():
    assert statistics.confidence_interval([0.9]) is None
    assert statistics.confidence_interval([0.9, None, math.nan]) is None
    assert statistics.confidence_interval([0.9, None, 0.8]) == statistics.confidence_interval(
        [0.9, 0.8]
    )


BEST_BY_SEED = {0: 0.90, 1: 0.95, 2: 0.85}


def test_a_clearly_worse_configuration_is_not_marked_and_a_near_identical_one_is():
    clearly_worse = {0: 0.80, 1: 0.81, 2: 0.79}
    near_identical = {0: 0.902, 1: 0.945, 2: 0.853}
    comparisons = statistics.compare_with_best([clearly_worse, BEST_BY_SEED, near_identical])
    method = "paired t, 3 seeds"
    assert comparisons == [Comparison(WORSE, method), Comparison(BEST), Comparison(SAME, method)]


def test_pairing_by_seed_finds_a_small_consistent_gap_that_unpaired_intervals_miss():
    # Each seed moves both runs alike; the gap is 0.01 +- 0.001 on every seed.
    other = {0: 0.89, 1: 0.941, 2: 0.839}
    differences = np.array([BEST_BY_SEED[seed] - other[seed] for seed in BEST_BY_SEED])
    t = differences.mean() / (differences.std(ddof=1) / math.sqrt(3))
    assert abs(t) > 4.303  # t(0.975, 2): significant when paired
    best_interval = statistics.confidence_interval(BEST_BY_SEED.values())
    other_interval = statistics.confidence_interval(other.values())
    assert other_interval[1] > best_interval[0]  # yet the two intervals overlap widely
    assert statistics.compare_with_best([BEST_BY_SEED, other])[1].verdict == WORSE


def test_without_shared_seeds_welch_is_used():
    far = {10: 0.70, 11: 0.71, 12: 0.69}
    close = {10: 0.91, 11: 0.86, 12: 0.88}
    comparisons = statistics.compare_with_best([BEST_BY_SEED, far, close])
    assert comparisons[1:] == [Comparison(WORSE, "Welch t"), Comparison(SAME, "Welch t")]


def test_welch_statistic_and_degrees_of_freedom_against_the_formula():
    first, second = [0.90, 0.95, 0.85], [0.70, 0.71, 0.69, 0.72]
    v1, v2 = np.var(first, ddof=1) / 3, np.var(second, ddof=1) / 4
    t, df = statistics.welch(first, second)
    assert t == pytest.approx((np.mean(first) - np.mean(second)) / math.sqrt(v1 + v2))
    assert df == pytest.approx((v1 + v2) ** 2 / (v1**2 / 2 + v2**2 / 3))


def test_one_seed_or_no_values_get_no_verdict():
    comparisons = statistics.compare_with_best([BEST_BY_SEED, {0: 0.5}, {}, {0: None, 1: None}])
    assert comparisons == [Comparison(BEST), Comparison(), Comparison(), Comparison()]
    assert statistics.compare_with_best([{}, {}]) == [Comparison(), Comparison()]


def test_a_lone_configuration_is_not_called_best():
    assert statistics.compare_with_best([BEST_BY_SEED]) == [Comparison()]
    assert statistics.compare_with_best([BEST_BY_SEED, {}]) == [Comparison(), Comparison()]


def test_identical_runs_are_not_distinguishable_and_a_constant_gap_is():
    shifted = {seed: value - 0.01 for seed, value in BEST_BY_SEED.items()}
    verdicts = [c.verdict for c in statistics.compare_with_best([BEST_BY_SEED, BEST_BY_SEED])]
    assert verdicts == [BEST, SAME]
    assert statistics.compare_with_best([BEST_BY_SEED, shifted])[1].verdict == WORSE


def test_better_on_the_shared_seeds_than_a_best_whose_mean_rests_on_others():
    best = {0: 0.80, 1: 0.81, 2: 0.99, 3: 0.99, 4: 0.99}  # mean 0.916 > 0.91
    other = {0: 0.90, 1: 0.92}
    assert statistics.compare_with_best([best, other])[1].verdict == BETTER
