"""Intervals and tests against values worked out independently of SciPy: closed forms of
Student's t for 1 and 2 degrees of freedom, published tables, Monte-Carlo coverage with
NumPy, and the exact bootstrap distribution of a median."""

import math

import numpy as np
import pytest

from analysis import statistics
from analysis.statistics import BEST, BETTER, SAME, WORSE, Comparison

# Closed forms (e.g. Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions
# vol. 2, ch. 28): with 1 degree of freedom t is Cauchy, F(t) = 1/2 + atan(t)/pi; with 2,
# F(t) = 1/2 + t / (2 sqrt(2 + t^2)). So the two-sided p-values and 0.975 quantiles are:


def p_value_df1(t):
    return 1 - 2 * math.atan(abs(t)) / math.pi


def p_value_df2(t):
    return 1 - abs(t) / math.sqrt(2 + t * t)


T_975_DF1 = math.tan(0.475 * math.pi)  # 12.7062...
T_975_DF2 = 0.95 / math.sqrt(2 * 0.975 * 0.025)  # solves F(t) = 0.975 for df = 2: 4.3027...

# Student-t 0.975 quantiles as printed in published tables (NIST/SEMATECH e-Handbook
# 1.3.6.7.2; Abramowitz & Stegun table 26.10 for 40, 60, 120), three decimals.
PUBLISHED_T_975 = {3: 3.182, 4: 2.776, 9: 2.262, 10: 2.228, 29: 2.045, 30: 2.042, 40: 2.021,
                   60: 2.000, 120: 1.980}  # fmt: skip


def test_t_quantile_closed_forms():
    assert statistics.t_quantile_975(1) == pytest.approx(T_975_DF1, rel=1e-12)
    assert statistics.t_quantile_975(2) == pytest.approx(T_975_DF2, rel=1e-12)


@pytest.mark.parametrize("df", PUBLISHED_T_975)
def test_t_quantile_matches_published_tables(df):
    assert statistics.t_quantile_975(df) == pytest.approx(PUBLISHED_T_975[df], abs=5e-4)


def test_t_quantile_tends_to_the_normal_takes_fractional_df_and_rejects_below_one():
    assert statistics.t_quantile_975(10**7) == pytest.approx(1.959964, abs=1e-6)
    assert statistics.t_quantile_975(1) > statistics.t_quantile_975(1.5)
    assert statistics.t_quantile_975(1.5) > statistics.t_quantile_975(2)
    for df in (0, 0.5, math.nan):
        with pytest.raises(ValueError, match="degrees of freedom"):
            statistics.t_quantile_975(df)


@pytest.mark.parametrize(
    ("values", "t"),
    [([0.93, 0.94], T_975_DF1), ([0.93, 0.94, 0.90], T_975_DF2),
     ([0.5, 0.7, 0.6, 0.65, 0.55], 2.776)],
)
def test_confidence_interval_is_mean_plus_minus_t_s_over_root_n(values, t):
    half_width = t * np.std(values, ddof=1) / math.sqrt(len(values))
    low, high = statistics.confidence_interval(values)
    tolerance = 1e-9 if len(values) < 5 else 2e-4  # the table's t has three decimals
    assert low == pytest.approx(np.mean(values) - half_width, rel=tolerance)
    assert high == pytest.approx(np.mean(values) + half_width, rel=tolerance)


def test_confidence_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    draws = rng.normal(loc=3.0, scale=2.0, size=(2000, 4))
    intervals = [statistics.confidence_interval(row) for row in draws]
    covered = np.mean([low <= 3.0 <= high for low, high in intervals])
    assert covered == pytest.approx(0.95, abs=0.017)  # 3.5 binomial standard errors


def test_no_interval_from_one_value_equal_values_and_non_finite_values_dropped():
    assert statistics.confidence_interval([0.9]) is None
    assert statistics.confidence_interval([0.9, None, math.nan]) is None
    assert statistics.confidence_interval([0.9, None, 0.8]) == statistics.confidence_interval(
        [0.9, 0.8]
    )
    assert statistics.confidence_interval([0.9, 0.9, 0.9]) == (0.9, 0.9)


BEST_BY_SEED = {0: 0.90, 1: 0.95, 2: 0.85}


def test_paired_t_test_against_the_formula_and_the_closed_form_p_value():
    other = {0: 0.89, 1: 0.941, 2: 0.839}  # the gap is 0.01 +- 0.001 on every seed
    differences = np.array([BEST_BY_SEED[seed] - other[seed] for seed in BEST_BY_SEED])
    t = differences.mean() / (differences.std(ddof=1) / math.sqrt(3))
    assert t == pytest.approx(10 * math.sqrt(3))  # mean 0.01, s_d 0.001
    assert statistics.paired_t_test(BEST_BY_SEED, other) == (
        pytest.approx(t), pytest.approx(p_value_df2(t), rel=1e-9))
    assert statistics.paired_difference(BEST_BY_SEED, other) == pytest.approx(t)
    comparison = statistics.compare_with_best([BEST_BY_SEED, other])[1]
    assert comparison.p_value == pytest.approx(p_value_df2(t), rel=1e-9)  # 0.0033


def test_paired_t_test_with_two_seeds_uses_the_cauchy_p_value():
    best, other = {0: 0.95, 1: 0.97}, {0: 0.90, 1: 0.96}
    t = 0.03 / (math.sqrt(0.0008) / math.sqrt(2))  # d = (0.05, 0.01): mean 0.03, s_d^2 8e-4
    assert statistics.paired_t_test(best, other)[1] == pytest.approx(p_value_df1(t), rel=1e-9)
    assert statistics.compare_with_best([best, other])[1] == Comparison(SAME, "paired t, 2 seeds")


def test_pairing_by_seed_finds_a_small_consistent_gap_that_unpaired_intervals_miss():
    other = {0: 0.89, 1: 0.941, 2: 0.839}
    best_interval = statistics.confidence_interval(BEST_BY_SEED.values())
    other_interval = statistics.confidence_interval(other.values())
    assert other_interval[1] > best_interval[0]  # the two intervals overlap widely
    assert statistics.compare_with_best([BEST_BY_SEED, other])[1].verdict == WORSE


def test_a_clearly_worse_configuration_is_marked_and_a_near_identical_one_is_not():
    clearly_worse = {0: 0.80, 1: 0.81, 2: 0.79}
    near_identical = {0: 0.902, 1: 0.945, 2: 0.853}
    comparisons = statistics.compare_with_best([clearly_worse, BEST_BY_SEED, near_identical])
    method = "paired t, 3 seeds"
    assert comparisons == [Comparison(WORSE, method), Comparison(BEST), Comparison(SAME, method)]
    # d = (0.10, 0.14, 0.06): mean 0.10, s_d 0.04, t = 0.10 / (0.04 / sqrt(3))
    assert comparisons[0].p_value == pytest.approx(p_value_df2(2.5 * math.sqrt(3)), rel=1e-9)


def test_welch_against_the_formula():
    first, second = [0.90, 0.95, 0.85], [0.70, 0.71, 0.69, 0.72]
    v1, v2 = np.var(first, ddof=1) / 3, np.var(second, ddof=1) / 4
    t, df = statistics.welch(first, second)
    assert t == pytest.approx((np.mean(first) - np.mean(second)) / math.sqrt(v1 + v2))
    assert df == pytest.approx((v1 + v2) ** 2 / (v1**2 / 2 + v2**2 / 3))


def test_welch_p_value_where_its_df_is_exactly_two():
    # Two values a side with equal variances: df = (2v)^2 / (v^2 + v^2) = 2.
    first, second = [0.90, 0.92], [0.80, 0.82]
    t = 0.10 / math.sqrt(0.0002 / 2 + 0.0002 / 2)
    assert statistics.welch_t_test(first, second) == (
        pytest.approx(t), pytest.approx(2.0), pytest.approx(p_value_df2(t), rel=1e-9))


def test_without_shared_seeds_welch_is_used():
    far = {10: 0.70, 11: 0.71, 12: 0.69}
    close = {10: 0.91, 11: 0.86, 12: 0.88}
    comparisons = statistics.compare_with_best([BEST_BY_SEED, far, close])
    assert comparisons[1:] == [Comparison(WORSE, "Welch t"), Comparison(SAME, "Welch t")]


def test_the_tests_reject_a_true_null_5_percent_of_the_time():
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(1500, 2, 4))  # both sides from the same distribution
    paired = [statistics.paired_t_test(dict(enumerate(a)), dict(enumerate(b)))[1] < 0.05
              for a, b in draws]
    welch = [statistics.welch_t_test(list(a), list(b))[2] < 0.05 for a, b in draws]
    assert np.mean(paired) == pytest.approx(0.05, abs=0.02)  # 3.5 standard errors
    assert np.mean(welch) == pytest.approx(0.05, abs=0.02)  # Welch is near exact here


def test_one_seed_or_no_values_get_no_verdict():
    comparisons = statistics.compare_with_best([BEST_BY_SEED, {0: 0.5}, {}, {0: None, 1: None}])
    assert comparisons == [Comparison(BEST), Comparison(), Comparison(), Comparison()]
    assert statistics.compare_with_best([{}, {}]) == [Comparison(), Comparison()]


def test_a_lone_configuration_is_not_called_best():
    assert statistics.compare_with_best([BEST_BY_SEED]) == [Comparison()]
    assert statistics.compare_with_best([BEST_BY_SEED, {}]) == [Comparison(), Comparison()]


def test_identical_runs_are_not_distinguishable_and_a_constant_gap_is():
    shifted = {seed: value - 0.01 for seed, value in BEST_BY_SEED.items()}  # gap 0.01 +- 1e-17
    comparisons = statistics.compare_with_best([BEST_BY_SEED, BEST_BY_SEED])
    assert comparisons == [Comparison(BEST), Comparison(SAME, "paired t, 3 seeds")]
    assert comparisons[1].p_value == 1.0
    assert statistics.paired_t_test(BEST_BY_SEED, shifted) == (math.inf, 0.0)
    assert statistics.compare_with_best([BEST_BY_SEED, shifted])[1].verdict == WORSE
    assert statistics.welch_t_test([0.9, 0.9], [0.8, 0.8]) == (math.inf, 2.0, 0.0)


def test_better_on_the_shared_seeds_than_a_best_whose_mean_rests_on_others():
    best = {0: 0.80, 1: 0.81, 2: 0.99, 3: 0.99, 4: 0.99}  # mean 0.916 > 0.91
    other = {0: 0.90, 1: 0.92}
    assert statistics.compare_with_best([best, other])[1].verdict == BETTER


# --- the bootstrap interval of a median time ------------------------------------------


def exact_median_quantile(count: int, probability: float) -> int:
    """The 0-based rank k of the sorted values (all distinct, n odd) at which the exact
    bootstrap distribution of the median first reaches `probability`: the median of n
    draws is <= x_(k) when at least (n + 1) / 2 draws are among the k + 1 smallest."""
    half = (count + 1) // 2
    for rank in range(count):
        share = (rank + 1) / count
        cumulative = sum(math.comb(count, j) * share**j * (1 - share) ** (count - j)
                         for j in range(half, count + 1))
        if cumulative >= probability:
            return rank
    return count - 1


def test_bootstrap_median_interval_matches_the_exact_bootstrap_distribution():
    times = [31.0, 12.5, 18.0, 25.0, 14.0, 40.0, 16.5, 21.0, 11.0]  # n = 9
    ordered = sorted(times)
    low_rank, high_rank = exact_median_quantile(9, 0.025), exact_median_quantile(9, 0.975)
    assert (low_rank, high_rank) == (1, 7)
    expected = (ordered[low_rank], ordered[high_rank])
    assert statistics.bootstrap_median_interval(times) == expected


def test_bootstrap_median_interval_with_runs_that_never_reached_the_target():
    # Sorted, "never" last, the exact 0.025 and 0.975 points are ranks 1 and 7 (as above).
    times = [31.0, 12.5, 18.0, 25.0, 14.0, 40.0, 16.5, math.inf, None]  # two never did
    assert statistics.bootstrap_median_interval(times) == (14.0, math.inf)
    # with one that never did, rank 7 is the largest finite time, 40 s
    assert statistics.bootstrap_median_interval(times[:-1] + [11.0]) == (12.5, 40.0)
    assert statistics.bootstrap_median_interval([math.inf, None]) == (math.inf, math.inf)


def test_bootstrap_median_interval_small_and_degenerate_cases():
    assert statistics.bootstrap_median_interval([10.0]) is None
    assert statistics.bootstrap_median_interval([10.0, math.nan]) is None
    # two runs: resampled medians are a, (a + b) / 2 or b, with a and b a quarter each
    assert statistics.bootstrap_median_interval([12.0, 10.0]) == (10.0, 12.0)
    assert statistics.bootstrap_median_interval([7.0, 7.0, 7.0]) == (7.0, 7.0)


def test_bootstrap_median_interval_is_repeatable_and_its_seed_matters():
    rng = np.random.default_rng(2)
    times = list(rng.lognormal(3.0, 0.5, size=40))
    first = statistics.bootstrap_median_interval(times)
    assert statistics.bootstrap_median_interval(times) == first
    assert statistics.bootstrap_median_interval(times, seed=1) != first


def test_bootstrap_median_interval_covers_the_true_median_about_95_percent():
    rng = np.random.default_rng(3)
    draws = rng.lognormal(mean=3.0, sigma=0.6, size=(300, 25))  # true median e^3
    intervals = [statistics.bootstrap_median_interval(row, resamples=999) for row in draws]
    covered = np.mean([low <= math.exp(3.0) <= high for low, high in intervals])
    assert 0.90 <= covered <= 0.99  # the percentile bootstrap is only approximately exact
