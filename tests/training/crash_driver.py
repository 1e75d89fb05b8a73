"""Run train_model.py in this process and stop it at a chosen moment of a chosen epoch.

    python tests/training/crash_driver.py MOMENT EPOCH -- TRAIN_MODEL_ARGUMENTS...

Used by test_resume.py to kill a run at exact points (SIGKILL cannot be caught,
so this is what a power cut or the OOM killer does) or to send it SIGTERM or
SIGINT. The patches live here, in the tests; the code under test has no hooks.
"""

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import analysis.history  # noqa: E402
import train_model  # noqa: E402
import training.callbacks  # noqa: E402
import training.checkpoint  # noqa: E402


def kill(signal_number=signal.SIGKILL):
    os.kill(os.getpid(), signal_number)


def during_epoch(epoch, signal_number):
    """Send the signal after the second batch of `epoch`."""
    writer = training.callbacks.HistoryWriter
    begin = writer.on_epoch_begin

    def on_epoch_begin(self, index, logs=None):
        begin(self, index, logs)
        self.stop_here = index + 1 == epoch

    def on_train_batch_end(self, batch, logs=None):
        if getattr(self, "stop_here", False) and batch == 1:
            kill(signal_number)

    writer.on_epoch_begin = on_epoch_begin
    writer.on_train_batch_end = on_train_batch_end


def after_history_write(epoch):
    """Kill once the history of `epoch` is on disk, before its checkpoint is written."""
    write = training.callbacks.write_history

    def write_then_die(path, history):
        write(path, history)
        if len(history["history"]["epoch"]) == epoch:
            kill()

    training.callbacks.write_history = write_then_die


def during_history_write(epoch):
    """Kill after half of the history of `epoch` went into the temporary file."""
    write = analysis.history.write_json_atomic

    def write_half_then_die(path, payload):
        if payload.get("history", {}).get("epoch") and len(payload["history"]["epoch"]) == epoch:
            partial = Path(path).parent / f".{Path(path).name}.crash.tmp"
            partial.write_text('{"schema_version": 2, "status": "runn')
            kill()
        write(path, payload)

    analysis.history.write_json_atomic = write_half_then_die


def during_checkpoint_write(epoch):
    """Kill after the weights of `epoch` are written, before its state file and the rename."""
    write = training.checkpoint.write_json_atomic

    def die_before_state(path, payload):
        if payload.get("epoch") == epoch:
            kill()
        write(path, payload)

    training.checkpoint.write_json_atomic = die_before_state


def after_checkpoint(epoch):
    """Kill once the checkpoint of `epoch` is complete, before training goes on or ends."""
    save = training.checkpoint.save_checkpoint

    def save_then_die(model, run_folder, number, callbacks=()):
        folder = save(model, run_folder, number, callbacks)
        if number == epoch:
            kill()
        return folder

    training.checkpoint.save_checkpoint = save_then_die


MOMENTS = {
    "during_epoch": lambda epoch: during_epoch(epoch, signal.SIGKILL),
    "after_history_write": after_history_write,
    "during_history_write": during_history_write,
    "during_checkpoint_write": during_checkpoint_write,
    "after_checkpoint": after_checkpoint,
    "sigterm": lambda epoch: during_epoch(epoch, signal.SIGTERM),
    "sigint": lambda epoch: during_epoch(epoch, signal.SIGINT),
}

if __name__ == "__main__":
    moment, epoch, separator, *arguments = sys.argv[1:]
    assert separator == "--", "usage: crash_driver.py MOMENT EPOCH -- ARGUMENTS"
    MOMENTS[moment](int(epoch))
    raise SystemExit(train_model.main(arguments))
