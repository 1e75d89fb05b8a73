"""time_to_target: the first evaluation that reaches a target, its step and training time."""

from analysis.targets import time_to_target
from tests.plotting.histories import make_history


def test_first_evaluation_reaching_an_accuracy_target():
    history = make_history(loss=[1.0] * 4, val_accuracy=[0.5, 0.97, 0.99, 0.98],
                           train_time_s=[3.0, 2.0, 2.5, 2.0])
    history["history"]["step"] = [7, 14, 21, 28]
    # The third evaluation is the first >= 0.98: 3.0 + 2.0 + 2.5 s of training, 21 steps;
    # eval_time_s (0.25 s each in make_history) is not counted.
    assert time_to_target(history, "val_accuracy", 0.98) == {
        "metric": "val_accuracy", "value": 0.98, "epoch": 3, "step": 21, "train_time_s": 7.5}


def test_a_loss_target_is_reached_from_above():
    history = make_history(loss=(1.0, 0.6, 0.4), train_time_s=[1.0, 1.0, 1.0])
    reached = time_to_target(history, "val_loss", 0.6)
    assert (reached["epoch"], reached["train_time_s"]) == (2, 2.0)


def test_never_reached_and_null_values():
    history = make_history(val_accuracy=[None, 0.2, None])
    assert time_to_target(history, "val_accuracy", 0.9) is None
