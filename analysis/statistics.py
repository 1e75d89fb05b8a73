"""Statistics over seeds for the results table: mean and spread, 95% intervals, tests.

Pure Python (math and statistics only; SciPy is not a dependency).

Confidence interval of a configuration's mean, over its n seeds with a value:

    mean ± t(0.975, n - 1) · s / √n        s: sample standard deviation (ddof=1)

blank with fewer than two values.

"Not distinguishable from the best" (two-sided test at alpha = 0.05): the best
configuration is the one with the highest mean. Each other configuration is
compared with it on the seeds the two share, by a paired t-test: with
d_i = best_i - other_i on each shared seed i (n of them, n >= 2),

    t = mean(d) / (s_d / √n),  df = n - 1,  distinguishable when |t| > t(0.975, df)

which is the same as asking whether the 95% interval of mean(d) excludes 0.
Pairing removes what the seed does to both runs alike (initialisation, data
order), so it detects smaller differences than comparing the two means. Where
fewer than two seeds are shared, Welch's unpaired t-test is used instead (both
sides need two values), with the Welch-Satterthwaite df rounded down below 30,
which errs towards "not distinguishable". With neither possible, no verdict.

Student-t 0.975 quantiles: df 1-30 from the NIST/SEMATECH e-Handbook of
Statistical Methods, table 1.3.6.7.2 (3 decimals); above 30, the expansion of
Abramowitz & Stegun 26.7.5 around the normal quantile (within 1e-7 there).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

# t(0.975, df) for df = 1 ... 30: NIST/SEMATECH e-Handbook, section 1.3.6.7.2.
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
NORMAL_975 = 1.959963984540054  # the standard normal 0.975 quantile

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
    """How a configuration stands against the best: verdict (BEST, SAME ...) and test used."""

    verdict: str = ""
    method: str = ""


def finite(values) -> list[float]:
    return [value for value in values if value is not None and math.isfinite(value)]


def t_quantile_975(degrees_of_freedom: float) -> float:
    """Student's t 0.975 quantile: the table for df <= 30 (rounded down), A&S 26.7.5 above."""
    if degrees_of_freedom < 1:
        raise ValueError(f"degrees of freedom {degrees_of_freedom} must be at least 1")
    if degrees_of_freedom <= len(T_975):
        return T_975[int(degrees_of_freedom) - 1]
    z, nu = NORMAL_975, float(degrees_of_freedom)
    return (
        z
        + (z**3 + z) / (4 * nu)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * nu**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * nu**4)
    )


def confidence_interval(values) -> tuple[float, float] | None:
    """The 95% interval of the mean of `values` (non-finite ones dropped); None below two."""
    values = finite(values)
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    half_width = t_quantile_975(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean - half_width, mean + half_width


def paired_difference(first: dict, second: dict) -> float | None:
    """t-statistic of first - second over their shared keys (seeds); None below two.

    Equal differences (no spread) give +-inf, or 0 when they are all zero.
    """
    shared = [key for key in first if key in second]
    if len(shared) < 2:
        return None
    differences = [first[key] - second[key] for key in shared]
    variance = statistics.variance(differences) / len(shared)
    return _t_statistic(statistics.fmean(differences), variance)


def welch(first: list[float], second: list[float]) -> tuple[float, float] | None:
    """(t-statistic of mean(first) - mean(second), Welch-Satterthwaite df); None if too few."""
    if len(first) < 2 or len(second) < 2:
        return None
    parts = [statistics.variance(values) / len(values) for values in (first, second)]
    difference = statistics.fmean(first) - statistics.fmean(second)
    pairs = zip(parts, (first, second), strict=True)
    denominator = sum(part**2 / (len(values) - 1) for part, values in pairs)
    df = sum(parts) ** 2 / denominator if denominator > 0 else len(first) + len(second) - 2
    return _t_statistic(difference, sum(parts)), max(df, 1.0)


def _t_statistic(difference: float, variance_of_difference: float) -> float:
    if variance_of_difference > 0:
        return difference / math.sqrt(variance_of_difference)
    return 0.0 if difference == 0 else math.copysign(math.inf, difference)


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
    shared = sum(1 for seed in other if seed in best)
    statistic = paired_difference(best, other)
    if statistic is not None:
        df, method = shared - 1, f"paired t, {shared} seeds"
    else:
        result = welch(list(best.values()), list(other.values()))
        if result is None:
            return Comparison()
        (statistic, df), method = result, "Welch t"
    if abs(statistic) <= t_quantile_975(df):
        return Comparison(SAME, method)
    return Comparison(WORSE if statistic > 0 else BETTER, method)


def _finite_values(sample: dict) -> dict:
    return {key: value for key, value in sample.items() if finite([value])}
