"""A benchmark's measures from its histories (pure Python plus SciPy's bootstrap).

- `times_to_target(history, target)`: steps and training seconds (evaluation
  excluded) to the first evaluation whose validation accuracy reaches `target`
  (`analysis.targets.time_to_target`); inf for both when it never did.
- `trial_objective(history, target)`: what a tuning trial is ranked by (lower is
  better): the steps to target where reached; otherwise a value above every
  reached one that falls as the best validation accuracy rises. So the best
  trial is the fastest to the target, or the most accurate where none reached it.
- `per_problem(finals, targets)`: per problem and optimizer, over the seeds of
  the final runs: median time (unreached seeds count as inf, as AlgoPerf does),
  the share of seeds that reached the target, and a 95% percentile-bootstrap
  interval of the median (`analysis.statistics.bootstrap_median_interval`).
- `score_table(table)`: performance ratios, profiles and scores
  (`analysis.profiles`) of the medians, for steps and for seconds.
"""

from __future__ import annotations

import math
import statistics

from analysis.profiles import TAU_MAX, performance_ratios, scores
from analysis.statistics import bootstrap_median_interval
from analysis.targets import time_to_target

METRIC = "val_accuracy"
MEASURES = ("steps", "seconds")
UNREACHED = 1e9  # more optimizer steps than any run here takes


def times_to_target(history: dict, target: float) -> dict:
    """{"steps": int | inf, "seconds": float | inf} to `target` validation accuracy."""
    reached = time_to_target(history, METRIC, target)
    if reached is None:
        return {"steps": math.inf, "seconds": math.inf}
    steps = reached["step"]
    return {"steps": math.inf if steps is None else steps, "seconds": reached["train_time_s"]}


def best_accuracy(history: dict) -> float | None:
    values = [value for value in history["history"][METRIC] if value is not None]
    return max(values) if values else None


def trial_objective(history: dict, target: float) -> float:
    """Lower is better: steps to target where reached; otherwise UNREACHED * (2 - best
    validation accuracy), above any step count (4 * UNREACHED without any accuracy)."""
    steps = times_to_target(history, target)["steps"]
    if math.isfinite(steps):
        return float(steps)
    accuracy = best_accuracy(history)
    return UNREACHED * (4.0 if accuracy is None else 2.0 - accuracy)


def summarize_seeds(times: list[float]) -> dict:
    """{"median", "low", "high", "reached", "seeds"} of one optimizer's times on one problem."""
    interval = bootstrap_median_interval(times)
    low, high = interval if interval else (None, None)
    return {"median": statistics.median(times), "low": low, "high": high,
            "reached": sum(math.isfinite(time) for time in times) / len(times),
            "seeds": len(times)}


def per_problem(finals: dict[str, dict[str, list[dict]]], targets: dict[str, float]) -> dict:
    """table[measure][problem][optimizer] = `summarize_seeds` of the final runs' times.

    `finals[problem][optimizer]` holds that pair's final histories (one per seed).
    """
    table = {measure: {} for measure in MEASURES}
    for problem, by_optimizer in finals.items():
        for measure in MEASURES:
            table[measure][problem] = {
                name: summarize_seeds([times_to_target(history, targets[problem])[measure]
                                       for history in histories])
                for name, histories in by_optimizer.items()
            }
    return table


def score_table(table: dict, tau_max: float = TAU_MAX) -> dict:
    """Per measure: {"ratios": optimizer -> problem -> r, "scores": optimizer -> B}."""
    result = {}
    for measure in MEASURES:
        medians = {problem: {name: cell["median"] for name, cell in row.items()}
                   for problem, row in table[measure].items()}
        result[measure] = {"ratios": performance_ratios(medians),
                           "scores": scores(medians, tau_max)}
    return result
