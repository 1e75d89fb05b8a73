"""Keras callbacks of the training loop, one concern each (as Keras's own `TerminateOnNaN`,
`CSVLogger`): the clock, history recording, target tracking, divergence stop, history
writing, and the early-stopping and plateau callbacks whose state a checkpoint keeps.

They share the run's `history` dict (schema: `analysis.history`); `training_callbacks`
in training/runner.py puts them in their order.
"""

from __future__ import annotations

import time

import keras

from analysis.history import write_history
from analysis.targets import time_to_target
from training.divergence import DivergenceRule


def current_learning_rate(optimizer) -> float:
    """The learning rate the optimizer applies now (a schedule is evaluated at its step)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def applied_learning_rate(optimizer, schedule=None) -> float:
    """The learning rate of the optimizer's latest update.

    With a schedule that is `schedule(iterations - 1)`: the counter has already
    moved on to the next step. Without one, the optimizer's rate variable,
    which only callbacks such as ReduceLROnPlateau change, between epochs.
    """
    if schedule is None:
        return current_learning_rate(optimizer)
    step = max(int(keras.ops.convert_to_numpy(optimizer.iterations)) - 1, 0)
    return float(keras.ops.convert_to_numpy(schedule(step)))


class Clock(keras.callbacks.Callback):
    """Times each epoch's two parts apart: training, and the validation inside `fit`.

    Training runs from `on_epoch_begin` to `on_test_begin` (the validation that
    `fit` starts after the epoch's last batch), evaluation from `on_test_begin`
    to `on_test_end`; without validation, training lasts until `on_epoch_end`.
    Put it first, so that the other callbacks' `on_epoch_end` read
    `train_time_s` and `eval_time_s` of the epoch just ended.
    """

    def __init__(self):
        super().__init__()
        self.train_time_s = 0.0
        self.eval_time_s = 0.0
        self._started = 0.0
        self._training = False

    def on_epoch_begin(self, epoch, logs=None):
        self.train_time_s = self.eval_time_s = 0.0
        self._started, self._training = time.perf_counter(), True

    def on_test_begin(self, logs=None):
        if self._training:
            self.train_time_s = time.perf_counter() - self._started
            self._training = False
        self._started = time.perf_counter()

    def on_test_end(self, logs=None):
        self.eval_time_s += time.perf_counter() - self._started

    def on_epoch_end(self, epoch, logs=None):
        if self._training:  # no validation this epoch
            self.train_time_s = time.perf_counter() - self._started
            self._training = False


class HistoryRecorder(keras.callbacks.Callback):
    """Appends each epoch's row to `history["history"]`: Keras's metrics, the global step
    (the optimizer's `iterations`), the learning rate of the epoch's last update
    (`schedule`: the optimizer's schedule, if it has one) and the `clock`'s two times;
    keeps `wall_time_s` their sum. Put it right after the clock.
    """

    def __init__(self, history: dict, clock: Clock, schedule=None):
        super().__init__()
        self.history = history
        self.clock = clock
        self.schedule = schedule

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        record = self.history["history"]
        record["epoch"].append(epoch + 1)
        record["step"].append(int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)))
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            record[key].append(float(logs[key]) if key in logs else None)
        record["lr"].append(applied_learning_rate(self.model.optimizer, self.schedule))
        record["train_time_s"].append(self.clock.train_time_s)
        record["eval_time_s"].append(self.clock.eval_time_s)
        self.history["wall_time_s"] = sum(record["train_time_s"]) + sum(record["eval_time_s"])


class TargetTracker(keras.callbacks.Callback):
    """Sets `history["target"]` once `metric` first reaches `target`
    (`analysis.targets.time_to_target` over the rows recorded so far); training goes on.
    Put it after the recorder."""

    def __init__(self, history: dict, target: float, metric: str = "val_accuracy"):
        super().__init__()
        self.history = history
        self.target = target
        self.metric = metric

    def on_epoch_end(self, epoch, logs=None):
        if self.history.get("target") is None:
            self.history["target"] = time_to_target(self.history, self.metric, self.target)


class DivergenceStop(keras.callbacks.Callback):
    """Ends a run whose epoch loss breaks `rule` (`training.divergence.DivergenceRule`):
    status "diverged", `history["divergence"]` names the criterion, and training stops
    after that epoch. Put it after the recorder."""

    def __init__(self, history: dict, rule: DivergenceRule):
        super().__init__()
        self.history = history
        self.rule = rule

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        penalty = sum(float(keras.ops.convert_to_numpy(term)) for term in self.model.losses)
        broken = self.rule.check(None if loss is None else float(loss), penalty)
        if broken is None:
            return
        criterion, value = broken
        steps = self.history["history"]["step"]
        self.history["status"] = "diverged"
        self.history["divergence"] = {"epoch": epoch + 1, "step": steps[-1] if steps else None,
                                      "criterion": criterion, "value": value}
        self.model.stop_training = True


class HistoryWriter(keras.callbacks.Callback):
    """Writes `history` to `path` atomically at the end of every epoch, so that a run killed
    at any moment leaves a valid history of the epochs it finished. Put it after the
    callbacks that fill the history in, before those that change rate or weights."""

    def __init__(self, history: dict, path):
        super().__init__()
        self.history = history
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        write_history(self.path, self.history)


def _encode(value):
    """A monitored best value for state.json, exactly: float.hex keeps every bit, and NaN."""
    return None if value is None else float(value).hex()


def _decode(text):
    return None if text is None else float.fromhex(text)


class EarlyStop(keras.callbacks.EarlyStopping):
    """Keras's EarlyStopping on val_loss, best weights restored, resumable.

    It stops once val_loss has not gone below its best for `patience` epochs,
    and at the end of training (stopped or not) puts back the weights of the
    best epoch. Keras resets its counters when `fit` starts; `set_state` hands
    it those of a checkpoint, applied after that reset, so a resumed run stops
    and restores exactly where an uninterrupted one does.
    """

    key = "early_stopping"

    def __init__(self, patience: int):
        super().__init__(monitor="val_loss", patience=patience, restore_best_weights=True)
        self._saved = None

    def get_state(self) -> tuple[dict, list]:
        counters = {"wait": self.wait, "best": _encode(self.best), "best_epoch": self.best_epoch,
                    "stopped_epoch": self.stopped_epoch}
        return counters, list(self.best_weights or [])

    def set_state(self, counters: dict, arrays: list) -> None:
        self._saved = (counters, arrays)

    @property
    def stopped(self) -> bool:
        """Whether training has been (or, from a checkpoint, had been) stopped."""
        counters = self._saved[0] if self._saved else {}
        return bool(self.stopped_epoch or counters.get("stopped_epoch"))

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._saved:
            counters, arrays = self._saved
            self.wait, self.best = counters["wait"], _decode(counters["best"])
            self.best_epoch, self.stopped_epoch = counters["best_epoch"], counters["stopped_epoch"]
            self.best_weights = arrays or None
            self._saved = None

    def summary(self) -> dict:
        """What the history records: where it stopped (None if it ran to the end), best epoch."""
        return {"stopped_at_epoch": self.stopped_epoch + 1 if self.stopped_epoch else None,
                "best_epoch": self.best_epoch + 1}


class Plateau(keras.callbacks.ReduceLROnPlateau):
    """Keras's ReduceLROnPlateau on val_loss, resumable like EarlyStop.

    The reduced rate lives in the optimizer's variable (saved with the
    weights); the counters (wait, best, cooldown) go into the checkpoint.
    """

    key = "plateau"

    def __init__(self, factor: float, patience: int, min_delta: float):
        super().__init__(monitor="val_loss", factor=factor, patience=patience,
                         min_delta=min_delta)
        self._saved = None

    def get_state(self) -> tuple[dict, list]:
        return {"wait": self.wait, "best": _encode(self.best),
                "cooldown_counter": self.cooldown_counter}, []

    def set_state(self, counters: dict, arrays: list) -> None:
        self._saved = counters

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        if self._saved:
            self.wait, self.best = self._saved["wait"], _decode(self._saved["best"])
            self.cooldown_counter = self._saved["cooldown_counter"]
            self._saved = None
