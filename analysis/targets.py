"""Time to target: when a run first reached a metric's target value (pure Python).

The one definition used by the training callback that records it
(`history["target"]`) and by the results table: the first evaluation whose
`metric` reaches `target` (>= for accuracies, <= for losses: a metric whose
name contains "loss" is minimised), with the global step and the *training*
seconds until that evaluation (the sum of `train_time_s` up to and including
it; evaluation time excluded, as AlgoPerf's submission time). For histories
migrated from schema 1, `train_time_s` still holds the evaluation time (see
`analysis.migration`) and the step is null.
"""

from __future__ import annotations


def minimised(metric: str) -> bool:
    return "loss" in metric


def reaches(value, target: float, metric: str) -> bool:
    """Whether `value` (None: no value) reaches `target` for `metric`."""
    if value is None:
        return False
    return value <= target if minimised(metric) else value >= target


def time_to_target(history: dict, metric: str, target: float) -> dict | None:
    """The first evaluation of `history` whose `metric` reaches `target`, or None.

    Returns {"metric", "value" (the target), "epoch", "step", "train_time_s"}:
    the shape of a history's "target" record. Raises KeyError when the history
    records no `metric`.
    """
    records = history["history"]
    values = records[metric]
    times = records.get("train_time_s") or [None] * len(values)
    steps = records.get("step") or [None] * len(values)
    elapsed = 0.0
    for index, value in enumerate(values):
        elapsed += times[index] or 0.0
        if reaches(value, target, metric):
            return {"metric": metric, "value": target, "epoch": records["epoch"][index],
                    "step": steps[index], "train_time_s": elapsed}
    return None
