"""Keras callbacks of the training loop: history writing, divergence stop, and the
early-stopping and plateau callbacks whose state a checkpoint keeps."""

from __future__ import annotations

import math
import time

import keras

from analysis.history import write_history


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


class HistoryWriter(keras.callbacks.Callback):
    """Appends each epoch's metrics, learning rate and time to `history`, then writes it.

    The file is rewritten atomically at the end of every epoch, so a run killed
    at any moment leaves a valid history of the epochs it finished. A loss that
    is not finite, or above `divergence_threshold` when one is set, ends the
    run: status "diverged", `diverged_at_epoch` set, training stopped after
    that epoch.

    "lr" is the learning rate of the epoch's last update (`schedule` is the
    optimizer's schedule, if it has one). With `target`, the first epoch whose
    val_accuracy reaches it is recorded as history["target"]: the value, the
    epoch and the training time until the end of that epoch (training goes on).
    Put this callback first, so that it sees the epoch before others change
    the learning rate or the weights.
    """

    def __init__(self, history: dict, path, divergence_threshold: float | None = None,
                 schedule=None, target: float | None = None):
        super().__init__()
        self.history = history
        self.path = path
        self.divergence_threshold = divergence_threshold
        self.schedule = schedule
        self.target = target
        self._epoch_started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._epoch_started
        logs = dict(logs or {})
        record = self.history["history"]
        record["epoch"].append(epoch + 1)
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            record[key].append(float(logs[key]) if key in logs else None)
        record["lr"].append(applied_learning_rate(self.model.optimizer, self.schedule))
        record["epoch_time_s"].append(elapsed)
        self.history["wall_time_s"] = sum(record["epoch_time_s"])
        self._check_target(epoch + 1, logs.get("val_accuracy"))
        if self._diverged(logs.get("loss")):
            self.history["status"] = "diverged"
            self.history["diverged_at_epoch"] = epoch + 1
            self.model.stop_training = True
        write_history(self.path, self.history)

    def _check_target(self, epoch: int, accuracy) -> None:
        if self.target is None or self.history.get("target") or accuracy is None:
            return
        if float(accuracy) >= self.target:
            self.history["target"] = {"value": self.target, "epoch": epoch,
                                      "time_s": self.history["wall_time_s"]}

    def _diverged(self, loss) -> bool:
        if loss is None:
            return False
        loss = float(loss)
        if not math.isfinite(loss):
            return True
        return self.divergence_threshold is not None and loss > self.divergence_threshold


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
