"""Statistics over seeds for the results table: mean and spread, 95% intervals, tests.

Quantiles, tests and the bootstrap come from SciPy (``scipy.stats``); this module
only chooses which to use and handles the degenerate cases SciPy answers with NaN.

Confidence interval of a configuration's mean, over its n seeds with a value
(``scipy.stats.t.interval``):

    mean ± t(0.975, n - 1) · s / √n        s: sample standard deviation (ddof=1)

None with fewer than two values.

"Not distinguishable from the best" (two-sided, alpha = 0.05): the best
configuration is the one with the highest mean. Each other configuration is
compared with it on the seeds the two share, by a paired t-test
(``scipy.stats.ttest_rel``): with d_i = best_i - other_i on each shared seed i
(n of them, n >= 2),

    t = mean(d) / (s_d / √n),  df = n - 1,  distinguishable when p < 0.05,

the same as asking whether the 95% interval of mean(d) excludes 0. Pairing
removes what the seed does to both runs alike (initialisation, data order), so
it detects smaller differences than comparing the two means. Where fewer than
two seeds are shared, Welch's unpaired t-test is used instead
(``scipy.stats.ttest_ind(equal_var=False)``, Welch-Satterthwaite df, not
rounded); both sides need two values. With neither possible, no verdict.
Differences without any spread (every d_i equal) give t = ±inf and p = 0, or
t = 0 and p = 1 when they are all zero.

Time to a target is far from normal (skewed, and infinite for a run that never
got there), so its interval is a percentile bootstrap of the median
(``scipy.stats.bootstrap``, fixed seed): :func:`bootstrap_median_interval`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

import numpy as np

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE  # two-sided level of the tests against the best
BOOTSTRAP_RESAMPLES = 9999
BOOTSTRAP_SEED = 0
# "Never reached" becomes this many times the longest finite time while SciPy
# resamples: a median or percentile that touches it exceeds every finite time and
# is read back as inf. (inf itself would give NaN where percentiles interpolate
# between two infs; a stand-in near the float maximum overflows SciPy's variance.)
NEVER_FACTOR = 1e6

BEST = "best"
SAME = "≈ best"  # not distinguishable from the best at the 5% level
WORSE = "< best"
BETTER = "> best"  # only possible when the best's mean rests on other seeds


@dataclass(frozen=True)
class Statistic:
    """Mean and sample standard deviation of the values a configuration's runs have."""

    mean: float | None
    std: float | None
    count: int

    @classmethod
    def of(cls, values) -> Statistic:
        values = finite(values)
        if not values:
            return cls(None, None, 0)
        std = statistics.stdev(values) if len(values) > 1 else None
        return cls(statistics.fmean(values), std, len(values))


@dataclass(frozen=True)
class Comparison:
    """How a configuration stands against the best: verdict (BEST, SAME ...), test used,
    and the test's two-sided p-value (not part of equality: two Comparisons with the same
    verdict and method are equal)."""

    verdict: str = ""
    method: str = ""
    p_value: float | None = field(default=None, compare=False)


def _scipy_stats():
    from scipy import stats  # here, not at the top: importing it takes about 0.6 s

    return stats


def finite(values) -> list[float]:
    return [value for value in values if value is not None and math.isfinite(value)]


def t_quantile_975(degrees_of_freedom: float) -> float:
    """Student's t 0.975 quantile, ``scipy.stats.t.ppf(0.975, df)``; df may be fractional.

    Raises ValueError for df below 1.
    """
    if not degrees_of_freedom >= 1:
        raise ValueError(f"degrees of freedom {degrees_of_freedom} must be at least 1")
    return float(_scipy_stats().t.ppf(0.975, degrees_of_freedom))


def confidence_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The t interval of the mean of `values` (non-finite ones dropped); None below two.

    Equal values give the zero-width interval (mean, mean).
    """
    values = finite(values)
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    if _no_spread(values):
        return mean, mean
    stats = _scipy_stats()
    low, high = stats.t.interval(confidence, len(values) - 1, loc=mean, scale=stats.sem(values))
    return float(low), float(high)


def paired_t_test(first: dict, second: dict) -> tuple[float, float] | None:
    """(t, two-sided p) of first - second over their shared keys (seeds); None below two."""
    shared = [key for key in first if key in second]
    if len(shared) < 2:
        return None
    differences = [first[key] - second[key] for key in shared]
    if _no_spread(differences):
        return _without_spread(statistics.fmean(differences))
    result = _scipy_stats().ttest_rel([first[key] for key in shared],
                                      [second[key] for key in shared])
    return float(result.statistic), float(result.pvalue)


def paired_difference(first: dict, second: dict) -> float | None:
    """t-statistic of :func:`paired_t_test`; None below two shared keys."""
    result = paired_t_test(first, second)
    return None if result is None else result[0]


def welch_t_test(first: list[float], second: list[float]) -> tuple[float, float, float] | None:
    """(t of mean(first) - mean(second), Welch-Satterthwaite df, two-sided p); None if
    either side has fewer than two values."""
    if len(first) < 2 or len(second) < 2:
        return None
    if _no_spread(first) and _no_spread(second):
        t, p = _without_spread(statistics.fmean(first) - statistics.fmean(second))
        return t, float(len(first) + len(second) - 2), p
    result = _scipy_stats().ttest_ind(first, second, equal_var=False)
    return float(result.statistic), float(result.df), float(result.pvalue)


def welch(first: list[float], second: list[float]) -> tuple[float, float] | None:
    """(t-statistic, df) of :func:`welch_t_test`; None if too few values."""
    result = welch_t_test(first, second)
    return None if result is None else result[:2]


def _no_spread(values) -> bool:
    """All values equal, up to round-off (where SciPy would warn and answer NaN or inf)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.ptp(values)) <= 1e-12 * float(np.max(np.abs(values)))


def _without_spread(difference: float) -> tuple[float, float]:
    """(t, p) for a difference known without error."""
    if difference == 0:
        return 0.0, 1.0
    return math.copysign(math.inf, difference), 0.0


def bootstrap_median_interval(
    times, confidence: float = CONFIDENCE, resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of the median of `times` (e.g. seconds to a target).

    ``inf`` or None marks a run that never reached the target; NaN is dropped. An
    endpoint is inf where the resampled medians reach past every finite time: the
    target may well not be reached. None with fewer than two runs. Uses
    ``scipy.stats.bootstrap(method="percentile")`` with ``rng`` seeded by `seed`, so
    the same times give the same interval; the percentile method because BCa needs
    finite jackknife values and is unstable with a handful of seeds (Efron &
    Tibshirani, An Introduction to the Bootstrap, 1993, ch. 13-14).
    """
    values = np.array([math.inf if time is None else float(time) for time in times])
    values = values[~np.isnan(values)]
    reached = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    if len(reached) == 0:
        return math.inf, math.inf
    if len(reached) == len(values) and _no_spread(values):
        return float(values[0]), float(values[0])
    longest = float(reached.max())
    never = NEVER_FACTOR * (abs(longest) + 1)
    result = _scipy_stats().bootstrap(
        (np.where(np.isfinite(values), values, never),), np.median,
        confidence_level=confidence, n_resamples=resamples, method="percentile",
        rng=np.random.default_rng(seed),
    )
    bounds = (result.confidence_interval.low, result.confidence_interval.high)
    return tuple(math.inf if bound > longest else float(bound) for bound in bounds)


def compare_with_best(samples: list[dict]) -> list[Comparison]:
    """One Comparison per configuration; `samples[i]` maps seed -> value (e.g. test accuracy).

    The best has the highest mean; the others are tested against it as the
    module docstring says. Configurations without values get no verdict, and
    neither does a lone configuration with values: it has nothing to be best of.
    """
    samples = [_finite_values(sample) for sample in samples]
    means = [statistics.fmean(sample.values()) if sample else -math.inf for sample in samples]
    if sum(1 for sample in samples if sample) < 2:
        return [Comparison() for _ in samples]
    best = means.index(max(means))
    return [
        Comparison(BEST) if index == best else _against(samples[best], sample)
        for index, sample in enumerate(samples)
    ]


def _against(best: dict, other: dict) -> Comparison:
    """The paired test where two or more seeds are shared, else Welch's, else no verdict."""
    if not other:
        return Comparison()
    result = paired_t_test(best, other)
    if result is not None:
        shared = sum(1 for seed in other if seed in best)
        (statistic, p_value), method = result, f"paired t, {shared} seeds"
    else:
        result = welch_t_test(list(best.values()), list(other.values()))
        if result is None:
            return Comparison()
        (statistic, _, p_value), method = result, "Welch t"
    if p_value >= ALPHA:
        return Comparison(SAME, method, p_value)
    return Comparison(WORSE if statistic > 0 else BETTER, method, p_value)


def _finite_values(sample: dict) -> dict:
    return {key: value for key, value in sample.items() if finite([value])}
