"""Time to target, trial ranking and per-problem summaries from hand-written histories."""

import math

import pytest

from analysis.benchmark import per_problem, score_table, times_to_target, trial_objective


def history(val_accuracy, steps=None, train_time=None, eval_time=None):
    count = len(val_accuracy)
    return {"history": {
        "epoch": list(range(1, count + 1)),
        "step": steps or [10 * (index + 1) for index in range(count)],
        "val_accuracy": list(val_accuracy),
        "train_time_s": train_time or [1.0] * count,
        "eval_time_s": eval_time or [5.0] * count,
    }}


def test_time_to_target_counts_steps_and_training_seconds_only():
    run = history([0.5, 0.8, 0.95, 0.97], train_time=[2.0, 1.0, 1.5, 1.0],
                  eval_time=[9.0, 9.0, 9.0, 9.0])
    assert times_to_target(run, 0.9) == {"steps": 30, "seconds": 4.5}  # 2 + 1 + 1.5


def test_unreached_target_is_infinite():
    assert times_to_target(history([0.5, 0.6]), 0.9) == {"steps": math.inf, "seconds": math.inf}


def test_trial_objective_ranks_reached_before_unreached_then_by_accuracy():
    fast = history([0.95, 0.96])                # reached at step 10
    slow = history([0.5, 0.5, 0.5, 0.91])       # reached at step 40
    close = history([0.5, 0.89])                # not reached, best 0.89
    far = history([0.5, 0.6])                   # not reached, best 0.6
    diverged = history([None, None])
    values = [trial_objective(run, 0.9) for run in (fast, slow, close, far, diverged)]
    assert values[:2] == [10.0, 40.0]
    assert values == sorted(values)
    assert values[2] > 40 and values[3] > values[2] and values[4] > values[3]


def test_per_problem_medians_shares_and_scores():
    runs = {"p": {
        "a": [history([0.95]), history([0.5, 0.95]), history([0.5, 0.5, 0.95])],
        "b": [history([0.5, 0.5, 0.5, 0.95]), history([0.5]), history([0.5])],
    }}
    table = per_problem(runs, {"p": 0.9})
    a, b = table["steps"]["p"]["a"], table["steps"]["p"]["b"]
    assert (a["median"], a["reached"], a["seeds"]) == (20, 1.0, 3)
    assert b["median"] == math.inf and b["reached"] == pytest.approx(1 / 3)
    assert a["low"] <= a["median"] <= a["high"]
    assert table["seconds"]["p"]["a"]["median"] == 2.0
    scored = score_table(table)
    assert scored["steps"]["scores"] == {"a": 1.0, "b": 0.0}
    assert scored["steps"]["ratios"]["b"]["p"] == math.inf
