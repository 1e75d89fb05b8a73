"""Performance ratios, performance profiles and the AlgoPerf benchmark score (pure Python).

Input everywhere: `times[problem][optimizer]`, an optimizer's time to target on
a problem (steps or training seconds; `math.inf` or None where it was not
reached). Definitions (Dolan & More, "Benchmarking optimization software with
performance profiles", Math. Programming 91, 2002; AlgoPerf, Dahl et al.,
"Benchmarking Neural Network Training Algorithms", 2023, section 4.5):

- performance ratio r[o][p] = t[p][o] / min over optimizers of t[p] (inf when o
  did not reach the target, or when no optimizer did);
- performance profile rho_o(tau) = (1 / P) * #{p : r[o][p] <= tau}, P problems;
- benchmark score B_o = (1 / (tau_max - 1)) * integral from 1 to tau_max of
  rho_o(tau) dtau, tau_max = 4 (AlgoPerf's). rho_o is a step function, so the
  integral is exact: each problem with r <= tau_max adds (tau_max - r) / P.

B is 1 for an optimizer that is fastest on every problem and 0 for one that is
never within tau_max of the fastest.
"""

from __future__ import annotations

import math

TAU_MAX = 4.0


def as_time(value) -> float:
    """A time to target as a float: None (not reached) is inf."""
    return math.inf if value is None else float(value)


def performance_ratios(times: dict[str, dict[str, float | None]]) -> dict[str, dict[str, float]]:
    """ratios[optimizer][problem] = t / t_best on that problem; inf where unreached.

    `times[problem][optimizer]`; every problem must time the same optimizers
    (ValueError naming the problem otherwise). A time of 0 (reached at the start)
    that is the best gives ratio 1 to every other 0 and inf to the rest.
    """
    problems = list(times)
    if not problems:
        raise ValueError("no problems to compare")
    names = list(times[problems[0]])
    ratios = {name: {} for name in names}
    for problem in problems:
        if set(times[problem]) != set(names):
            raise ValueError(f"problem {problem!r} times {sorted(times[problem])}, "
                             f"not {sorted(names)}")
        row = {name: as_time(times[problem][name]) for name in names}
        best = min(row.values())
        for name, time in row.items():
            ratios[name][problem] = ratio(time, best)
    return ratios


def ratio(time: float, best: float) -> float:
    if math.isinf(time) or math.isinf(best):
        return math.inf
    if best == 0:
        return 1.0 if time == 0 else math.inf
    return time / best


def profile(ratios: dict[str, float], tau: float) -> float:
    """rho(tau): the share of problems whose ratio is <= tau (ratios of one optimizer)."""
    if not ratios:
        raise ValueError("no problems in the profile")
    return sum(1 for value in ratios.values() if value <= tau) / len(ratios)


def profile_curve(ratios: dict[str, float], tau_max: float = TAU_MAX) -> tuple[list, list]:
    """(taus, rhos) of the step function rho on [1, tau_max], for drawing with
    `step(where="post")`: one point at 1, one at every ratio inside, one at tau_max."""
    taus = sorted({1.0, tau_max, *(value for value in ratios.values() if 1 <= value <= tau_max)})
    return taus, [profile(ratios, tau) for tau in taus]


def benchmark_score(ratios: dict[str, float], tau_max: float = TAU_MAX) -> float:
    """B = (1 / (tau_max - 1)) * integral_1^tau_max rho(tau) dtau, exactly (see module)."""
    if not ratios:
        raise ValueError("no problems to score")
    if not tau_max > 1:
        raise ValueError(f"tau_max must exceed 1, got {tau_max!r}")
    area = sum(tau_max - max(value, 1.0) for value in ratios.values() if value <= tau_max)
    return area / (len(ratios) * (tau_max - 1))


def scores(times: dict[str, dict[str, float | None]],
           tau_max: float = TAU_MAX) -> dict[str, float]:
    """B per optimizer from `times[problem][optimizer]`."""
    return {name: benchmark_score(by_problem, tau_max)
            for name, by_problem in performance_ratios(times).items()}
