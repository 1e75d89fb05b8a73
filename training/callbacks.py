"""Keras callbacks of the training loop: per-epoch history writing and divergence stop."""

from __future__ import annotations

import math
import time

import keras

from training.history import write_history


def current_learning_rate(optimizer) -> float:
    """The learning rate the optimizer applies now (a schedule is evaluated at its step)."""
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


class HistoryWriter(keras.callbacks.Callback):
    """Appends each epoch's metrics, learning rate and time to `history`, then writes it.

    The file is rewritten atomically at the end of every epoch, so a run killed
    at any moment leaves a valid history of the epochs it finished. A loss that
    is not finite, or above `divergence_threshold` when one is set, ends the
    run: status "diverged", `diverged_at_epoch` set, training stopped after
    that epoch.
    """

    def __init__(self, history: dict, path, divergence_threshold: float | None = None):
        super().__init__()
        self.history = history
        self.path = path
        self.divergence_threshold = divergence_threshold
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
        record["lr"].append(current_learning_rate(self.model.optimizer))
        record["epoch_time_s"].append(elapsed)
        self.history["wall_time_s"] = sum(record["epoch_time_s"])
        if self._diverged(logs.get("loss")):
            self.history["status"] = "diverged"
            self.history["diverged_at_epoch"] = epoch + 1
            self.model.stop_training = True
        write_history(self.path, self.history)

    def _diverged(self, loss) -> bool:
        if loss is None:
            return False
        loss = float(loss)
        if not math.isfinite(loss):
            return True
        return self.divergence_threshold is not None and loss > self.divergence_threshold
