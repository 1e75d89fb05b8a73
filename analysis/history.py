"""The history file of one run: its schema, atomic writing, reading and validation.

Pure Python (json, os, math): importing this module never imports TensorFlow, so
`plot_results.py` can read results on a machine without it.

A history is a dict of this shape (schema version 1)::

    {
      "schema_version": 1,
      "status": "running" | "completed" | "early_stopped" | "diverged"
                | "interrupted" | "failed",
      "config": {...the fully resolved run configuration...},
      "environment": {"python": ..., "tensorflow": ..., "keras": ...,
                      "device": ..., "git_commit": ...},
      "history": {"epoch": [1, 2, ...], "loss": [...], "accuracy": [...],
                  "val_loss": [...], "val_accuracy": [...], "lr": [...],
                  "epoch_time_s": [...]},
      "test": {"loss": ..., "accuracy": ...} | null,
      "wall_time_s": float,
      "diverged_at_epoch": int | null,
      "target": {"value": 0.98, "epoch": 3, "time_s": 12.3} | null,
      "early_stopping": {"stopped_at_epoch": int | null, "best_epoch": int} | null
    }

Every list in "history" has one entry per epoch. JSON has no NaN or Infinity,
so a non-finite number is written as null. "lr" is the learning rate of the
epoch's last update. The last two keys are optional (older files lack them):
"target" is set once val_accuracy first reaches config["target"] (time_s: the
training time until the end of that epoch), null if it never did or none was
set; "early_stopping" is set when config["early_stopping"] is, once training
ends: the epoch it stopped after (null if it ran to the end) and the best
epoch (lowest val_loss), whose weights were restored and tested.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

SCHEMA_VERSION = 1
FILENAME = "history.json"
STATUSES = ("running", "completed", "early_stopped", "diverged", "interrupted", "failed")
FINISHED_STATUSES = ("completed", "early_stopped", "diverged")
TOP_LEVEL_KEYS = (
    "schema_version",
    "status",
    "config",
    "environment",
    "history",
    "test",
    "wall_time_s",
    "diverged_at_epoch",
)
CONFIG_KEYS = (
    "dataset",
    "model",
    "optimizer",
    "optimizer_config",
    "epochs",
    "batch_size",
    "seed",
    "subset",
    "validation_split",
)
OPTIONAL_KEYS = ("target", "early_stopping")  # each an object or null
ENVIRONMENT_KEYS = ("python", "tensorflow", "keras", "device", "git_commit")
# Keras's own metric names, plus what the history callback adds per epoch.
HISTORY_KEYS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time_s")


class HistoryError(ValueError):
    """A history file that cannot be read or does not follow the schema."""


def new_history(config: dict, environment: dict) -> dict:
    """An empty history for a run that is about to start."""
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "running",
        "config": dict(config),
        "environment": dict(environment),
        "history": {key: [] for key in HISTORY_KEYS},
        "test": None,
        "wall_time_s": 0.0,
        "diverged_at_epoch": None,
        "target": None,
        "early_stopping": None,
    }


def finite_or_none(value):
    """`value` with every non-finite float (NaN, +-inf) replaced by None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    return value


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write `text` so that `path` always holds a complete file.

    The text goes to a temporary file in the same folder, is flushed to disk,
    then renamed over `path`: a reader (or a crash) sees the old file or the
    new one, never half of one.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def default_file_mode() -> int:
    """The mode `open()` would give a new file (0o666 less the umask).

    mkstemp makes its file private (0o600); results are meant to be shared.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_json_atomic(path: str | os.PathLike, payload: dict) -> None:
    """Write `payload` as JSON (non-finite numbers as null) with `write_text_atomic`."""
    text = json.dumps(finite_or_none(payload), indent=2, allow_nan=False)
    write_text_atomic(path, text + "\n")


def write_history(path: str | os.PathLike, history: dict) -> None:
    """Validate `history` and write it atomically to `path`."""
    validate_history(finite_or_none(history), source=str(path))
    write_json_atomic(path, history)


def read_history(path: str | os.PathLike) -> dict:
    """Read and validate one history file; HistoryError names the file on any fault."""
    try:
        with open(path, encoding="utf-8") as stream:
            history = json.load(stream)
    except OSError as error:
        raise HistoryError(f"{path}: cannot read ({error.strerror or error})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HistoryError(f"{path}: not valid JSON ({error})") from None
    validate_history(history, source=str(path))
    return history


def validate_history(history, source: str = "history") -> None:
    """Raise HistoryError naming `source` and the fault if `history` breaks the schema."""

    def fail(message: str):
        raise HistoryError(f"{source}: {message}")

    if not isinstance(history, dict):
        fail("expected a JSON object at the top level")
    missing = [key for key in TOP_LEVEL_KEYS if key not in history]
    if missing:
        fail(f"missing key(s) {', '.join(missing)}")
    if history["schema_version"] != SCHEMA_VERSION:
        fail(f"schema_version {history['schema_version']!r} is not {SCHEMA_VERSION}")
    if history["status"] not in STATUSES:
        fail(f"status {history['status']!r} is not one of {', '.join(STATUSES)}")
    _require_keys(history["config"], CONFIG_KEYS, "config", fail)
    _require_keys(history["environment"], ENVIRONMENT_KEYS, "environment", fail)
    _validate_epochs(history["history"], fail)
    test = history["test"]
    if test is not None and not isinstance(test, dict):
        fail("test must be an object or null")
    if not _is_number(history["wall_time_s"]):
        fail("wall_time_s must be a number")
    diverged_at = history["diverged_at_epoch"]
    if diverged_at is not None and (not isinstance(diverged_at, int) or diverged_at < 1):
        fail("diverged_at_epoch must be a positive integer or null")
    for key in OPTIONAL_KEYS:
        if history.get(key) is not None and not isinstance(history[key], dict):
            fail(f"{key} must be an object or null")


def _require_keys(section, keys, name, fail) -> None:
    if not isinstance(section, dict):
        fail(f"{name} must be an object")
    missing = [key for key in keys if key not in section]
    if missing:
        fail(f"{name} is missing key(s) {', '.join(missing)}")


def _validate_epochs(epochs, fail) -> None:
    if not isinstance(epochs, dict):
        fail("history must be an object of per-epoch lists")
    if not isinstance(epochs.get("epoch"), list):
        fail("history.epoch must be a list")
    length = len(epochs["epoch"])
    for key, values in epochs.items():
        if not isinstance(values, list):
            fail(f"history.{key} must be a list")
        if len(values) != length:
            fail(f"history.{key} has {len(values)} entries but history.epoch has {length}")
        if key == "epoch":
            if values != list(range(1, length + 1)):
                fail("history.epoch must count 1, 2, 3, ...")
        elif not all(value is None or _is_number(value) for value in values):
            fail(f"history.{key} must hold numbers or null")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def find_history_files(results_dir: str | os.PathLike) -> Iterator[Path]:
    """Every `<experiment>/<run>/history.json` below `results_dir`, in sorted order."""
    yield from sorted(Path(results_dir).glob(f"*/*/{FILENAME}"))
