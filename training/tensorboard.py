"""TensorBoard logs of a run, beside its history (`--tensorboard`, config.execution.tensorboard).

Keras's own `keras.callbacks.TensorBoard` writes the per-epoch scalars, under
its own names; this module adds the HParams session and the test scores, and
keeps the logs of a resumed run free of repeated epochs. The run folder gets::

    tensorboard/                the HParams session: the run's flattened config
      train/                    epoch_loss, epoch_accuracy, epoch_learning_rate
      validation/               epoch_loss, epoch_accuracy, and Keras's
                                evaluation_{loss,accuracy}_vs_iterations
      test/                     epoch_loss, epoch_accuracy: the test scores

Steps are Keras's: epoch scalars at step `epoch - 1` (history.json's epoch 1
is step 0), the `_vs_iterations` scalars at the global step (history.json's
"step"), the test scores at the last epoch's step. `epoch_learning_rate` is
history.json's "lr", the rate of the epoch's last update; Keras's callback
alone would log `optimizer.learning_rate`, which under a schedule is already
the next update's rate. The HParams dashboard takes each session's
hyperparameters (`analysis.frame.flat_config`: `optimizer.learning_rate`,
`execution.batch_size`, ...) and, as metrics, the last value of every scalar
above, so runs can be sorted and compared there.

Resuming: the epochs after the checkpoint a run resumes from may already be
in the logs (written before the run was killed, the checkpoint after them).
`prepare_log_dir` drops those events, and the HParams session, which the new
attempt writes again; a fresh start removes the old logs. The writers are
flushed after every epoch, before the checkpoint, so no epoch that a
checkpoint holds is missing from the logs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import keras
import tensorflow as tf
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.plugins.hparams import api as hparams_api

from analysis.frame import flat_config

LOG_DIR = "tensorboard"
EVENT_FILES = "events.out.tfevents.*"
# The subfolders Keras's callback writes; what else is in the log dir this module rewrites.
KERAS_RUNS = ("train", "validation")


class RunTensorBoard(keras.callbacks.TensorBoard):
    """Keras's TensorBoard callback for one run: epoch scalars (no graph, no histograms),
    the learning rate history.json records, the HParams session at the start of training.

    `history` is the run's history dict, filled by `training.callbacks.HistoryRecorder`,
    which must come before this callback; `hparams` maps names to bool, int, float or str.
    """

    def __init__(self, log_dir, history: dict, hparams: dict):
        # write_graph: Keras 3 documents it as "not supported at this time".
        super().__init__(log_dir=str(log_dir), write_graph=False, update_freq="epoch")
        self.history = history
        self.hparams = hparams

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            hparams_api.hparams(self.hparams, trial_id=Path(self.log_dir).parent.name)
        writer.close()

    def _collect_learning_rate(self, logs):
        # Keras's hook that adds `learning_rate` to the epoch's training scalars.
        return {**logs, "learning_rate": self.history["history"]["lr"][-1]}

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        # Keras's writers flush every two minutes; the checkpoint after this epoch must not
        # get ahead of its logs (`_writers`: Keras's train and validation writers).
        for writer in self._writers.values():
            writer.flush()


def log_dir(folder) -> Path:
    """Where the run in `folder` writes its TensorBoard logs."""
    return Path(folder) / LOG_DIR


def tensorboard_callback(folder, config: dict, history: dict) -> RunTensorBoard:
    """The callback of the run in `folder`; its logs prepared for the epochs already in
    `history` (`prepare_log_dir`)."""
    records = history["history"]
    prepare_log_dir(log_dir(folder), len(records["epoch"]),
                    records["step"][-1] if records["step"] else 0)
    return RunTensorBoard(log_dir(folder), history, hparams_of(config))


def hparams_of(config: dict) -> dict:
    """The HParams of a run: its flattened config without unset (None) values."""
    return {name: value for name, value in flat_config(config).items() if value is not None}


def prepare_log_dir(directory: Path, epochs: int, step: int) -> None:
    """Keep only what the first `epochs` epochs (`step` optimizer updates) logged.

    With `epochs` 0 the folder is removed. Otherwise, in train/ and validation/,
    epoch scalars at steps >= `epochs` and `_vs_iterations` scalars at steps >
    `step` are dropped from each event file (rewritten in place, so the files
    keep their order); the HParams session and test/ are removed (rewritten
    by the run).
    """
    if epochs == 0 or not directory.exists():
        shutil.rmtree(directory, ignore_errors=True)
        return
    for path in directory.glob(EVENT_FILES):
        path.unlink()
    shutil.rmtree(directory / "test", ignore_errors=True)
    for run in KERAS_RUNS:
        for path in sorted((directory / run).glob(EVENT_FILES)):
            _rewrite(path, lambda event: _logged_before(event, epochs, step))


def _logged_before(event: Event, epochs: int, step: int) -> bool:
    """Whether `event` belongs to the first `epochs` epochs (the file header always does)."""
    tags = [value.tag for value in event.summary.value]
    if not tags:
        return True
    if all(tag.endswith("_vs_iterations") for tag in tags):
        return event.step <= step
    return event.step < epochs


def _rewrite(path: Path, keep) -> None:
    """Rewrite the event file `path` with the records whose Event `keep` accepts."""
    records = [record for record in RawEventFileLoader(str(path)).Load()
               if keep(Event.FromString(record))]
    temporary = path.with_name(f".{path.name}.tmp")
    with tf.io.TFRecordWriter(str(temporary)) as writer:
        for record in records:
            writer.write(record)
    temporary.replace(path)


def write_test_scores(folder, history: dict) -> None:
    """The run's test scores into test/, as `epoch_<metric>` at the last epoch's step."""
    if not history["test"] or not history["history"]["epoch"]:
        return
    writer = tf.summary.create_file_writer(str(log_dir(folder) / "test"))
    with writer.as_default():
        for name, value in history["test"].items():
            tf.summary.scalar(f"epoch_{name}", value, step=history["history"]["epoch"][-1] - 1)
    writer.close()
