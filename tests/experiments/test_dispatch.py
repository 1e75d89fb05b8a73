"""The one executor loop, on a backend of plain futures: claims held elsewhere, lost workers,
interruption, and the progress line."""

import concurrent.futures

import pytest

from experiments import dispatch as execute
from experiments.dispatch import RunLost, dispatch
from experiments.progress import Progress, duration


class Died(Exception):
    """Stands for BrokenProcessPool: the run's worker died."""


class FakeBackend:
    """Runs specs by looking up a script of outcomes per folder: each call pops the next
    one (a history, None for 'held elsewhere', or an exception)."""

    lost_errors = (Died,)
    lost_together = True

    def __init__(self, script, capacity=2):
        self.script, self.capacity = script, capacity
        self.calls, self.restarts, self.stopped = [], 0, False

    def submit(self, spec):
        self.calls.append(spec["folder"])
        future = concurrent.futures.Future()
        outcome = self.script[spec["folder"]].pop(0)
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
        return future

    def restart(self):
        self.restarts += 1

    def stop(self):
        self.stopped = True


def spec(name):
    return {"folder": name, "config": {"optimizer": {"name": name, "learning_rate": 0.1},
                                       "execution": {"batch_size": 8, "seed": 0}}}


def done(name):
    return {"status": "completed", "folder": name}


def test_every_run_is_yielded_once():
    backend = FakeBackend({"a": [done("a")], "b": [done("b")], "c": [done("c")]})
    histories = list(dispatch([spec("a"), spec("b"), spec("c")], backend))
    assert sorted(history["folder"] for history in histories) == ["a", "b", "c"]
    assert backend.restarts == 0


def test_a_run_held_elsewhere_is_looked_at_again(monkeypatch):
    monkeypatch.setattr(execute, "POLL_S", 0.0)
    backend = FakeBackend({"a": [None, None, done("a")], "b": [done("b")]})
    histories = list(dispatch([spec("a"), spec("b")], backend))
    assert len(histories) == 2
    assert backend.calls.count("a") == 3


def test_a_dead_worker_requeues_its_run_and_restarts_the_pool():
    backend = FakeBackend({"a": [Died(), done("a")], "b": [done("b")]})
    histories = list(dispatch([spec("a"), spec("b")], backend))
    assert sorted(history["folder"] for history in histories) == ["a", "b"]
    assert backend.calls.count("a") == 2 and backend.restarts == 1


def test_a_lost_task_alone_is_requeued_without_a_restart():
    backend = FakeBackend({"a": [Died(), done("a")], "b": [done("b")]})
    backend.lost_together = False  # Ray: a crashed task takes nothing else with it
    histories = list(dispatch([spec("a"), spec("b")], backend))
    assert sorted(history["folder"] for history in histories) == ["a", "b"]
    assert backend.calls.count("a") == 2 and backend.restarts == 0


def test_a_run_that_keeps_killing_its_worker_is_given_up():
    backend = FakeBackend({"a": [Died()] * execute.MAX_LOSSES, "b": [done("b")]})
    with pytest.raises(RunLost, match=f"a: its worker died {execute.MAX_LOSSES} times"):
        list(dispatch([spec("a"), spec("b")], backend))
    assert backend.stopped


def test_an_error_of_a_run_stops_the_others_and_is_raised():
    backend = FakeBackend({"a": [ValueError("bad data")], "b": [done("b")]}, capacity=1)
    with pytest.raises(ValueError, match="bad data"):
        list(dispatch([spec("a"), spec("b")], backend))
    assert backend.stopped and backend.calls == ["a"]


def test_the_progress_line_counts_and_estimates():
    now = [100.0]
    progress = Progress(10, clock=lambda: now[0])
    progress.done, progress.running, progress.elsewhere = 4, 2, 1
    now[0] += 120.0  # 4 runs in 2 minutes: 6 more take 3 minutes at that pace
    assert progress.line() == ("[4/10 done, 2 running, 3 waiting, 1 held by other processes"
                               " | elapsed 2m00s, about 3m00s left]")


def test_durations_read_naturally():
    assert [duration(s) for s in (5, 65, 3725)] == ["5s", "1m05s", "1h02m"]
