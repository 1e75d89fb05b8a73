"""The history file of one run: its schema, atomic writing, reading (with migration) and
validation.

Pure Python (json, os, math): importing this module never imports TensorFlow, so
`plot_results.py` can read results on a machine without it.

A history is a dict of this shape (schema version 2)::

    {
      "schema_version": 2,
      "status": "running" | "completed" | "early_stopped" | "diverged"
                | "interrupted" | "failed",
      "config": {...the resolved, sectioned run configuration (analysis.run_config)...},
      "environment": {"python": ..., "tensorflow": ..., "keras": ...,
                      "device": ..., "git_commit": ...},
      "data": {"source": str | null, "train_examples": int, "validation_examples": int,
               "test_examples": int} | null,
      "history": {"epoch": [1, 2, ...], "step": [...], "loss": [...], "accuracy": [...],
                  "val_loss": [...], "val_accuracy": [...], "lr": [...],
                  "train_time_s": [...], "eval_time_s": [...]},
      "test": {"loss": ..., "accuracy": ...} | null,
      "wall_time_s": float,
      "divergence": {"epoch": int, "step": int | null, "criterion": str,
                     "value": float | null} | null,
      "target": {"metric": "val_accuracy", "value": 0.98, "epoch": int,
                 "step": int | null, "train_time_s": float} | null,
      "early_stopping": {"stopped_at_epoch": int | null, "best_epoch": int} | null
    }

Every list in "history" has one entry per evaluation (today: one per epoch).
"step" is the number of optimizer updates done when that evaluation ran;
"train_time_s" the seconds spent training since the previous evaluation,
evaluation excluded, and "eval_time_s" the seconds the validation itself took.
`wall_time_s` is the sum of both. JSON has no NaN or Infinity, so a
non-finite number is written as null. "lr" is the learning rate of the
period's last update. "divergence" says where the run was stopped as diverged
and by which rule ("criterion", e.g. "non_finite_loss"; see
training/callbacks.py) with the value that broke it. "target" is set once
config.problem.target is first reached (`analysis.targets`). "early_stopping"
is set when config.execution.early_stopping is, once training ends: the epoch
it stopped after (null if it ran to the end) and the best epoch (lowest
val_loss), whose weights were restored and tested.

Schema 1 files (written before steps and the two clocks were recorded) are
read and migrated (`migrate`): see its docstring for what they cannot tell.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from analysis import run_config
from analysis.migration import MigrationError, migrate

SCHEMA_VERSION = 2
FILENAME = "history.json"
STATUSES = ("running", "completed", "early_stopped", "diverged", "interrupted", "failed")
FINISHED_STATUSES = ("completed", "early_stopped", "diverged")
TOP_LEVEL_KEYS = (
    "schema_version",
    "status",
    "config",
    "environment",
    "data",
    "history",
    "test",
    "wall_time_s",
    "divergence",
    "target",
    "early_stopping",
)
OBJECT_OR_NULL_KEYS = ("data", "test", "divergence", "target", "early_stopping")
ENVIRONMENT_KEYS = ("python", "tensorflow", "keras", "device", "git_commit")
# Keras's own metric names, plus what the recorder adds per evaluation.
HISTORY_KEYS = ("epoch", "step", "loss", "accuracy", "val_loss", "val_accuracy", "lr",
                "train_time_s", "eval_time_s")
INTEGER_KEYS = ("epoch", "step")


class HistoryError(ValueError):
    """A history file that cannot be read or does not follow the schema."""


def new_history(config: dict, environment: dict, data: dict | None = None) -> dict:
    """An empty history for a run that is about to start."""
    return {
        "schema_version": SCHEMA_VERSION,
        "status": "running",
        "config": json.loads(json.dumps(config)),
        "environment": dict(environment),
        "data": data,
        "history": {key: [] for key in HISTORY_KEYS},
        "test": None,
        "wall_time_s": 0.0,
        "divergence": None,
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
    """Read and validate one history file, migrating schema 1 to 2 (`analysis.migration`).

    Raises HistoryError naming the file on any fault.
    """
    try:
        with open(path, encoding="utf-8") as stream:
            history = json.load(stream)
    except OSError as error:
        raise HistoryError(f"{path}: cannot read ({error.strerror or error})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise HistoryError(f"{path}: not valid JSON ({error})") from None
    if isinstance(history, dict) and history.get("schema_version") == 1:
        try:
            history = migrate(history)
        except MigrationError as error:
            raise HistoryError(f"{path}: {error}") from None
    validate_history(history, source=str(path))
    return history


def validate_history(history, source: str = "history") -> None:
    """Raise HistoryError naming `source` and the fault if `history` breaks schema 2."""

    def fail(message: str):
        raise HistoryError(f"{source}: {message}")

    if not isinstance(history, dict):
        fail("expected a JSON object at the top level")
    missing = [key for key in TOP_LEVEL_KEYS if key not in history]
    if missing:
        fail(f"missing key(s) {', '.join(missing)}")
    if history["schema_version"] != SCHEMA_VERSION:
        fail(f"schema_version {history['schema_version']!r} is not {SCHEMA_VERSION} (or 1)")
    if history["status"] not in STATUSES:
        fail(f"status {history['status']!r} is not one of {', '.join(STATUSES)}")
    _validate_config(history["config"], fail)
    _require_keys(history["environment"], ENVIRONMENT_KEYS, "environment", fail)
    _validate_records(history["history"], fail)
    if not _is_number(history["wall_time_s"]):
        fail("wall_time_s must be a number")
    for key in OBJECT_OR_NULL_KEYS:
        if history[key] is not None and not isinstance(history[key], dict):
            fail(f"{key} must be an object or null")
    divergence = history["divergence"]
    if divergence is not None:
        _require_keys(divergence, ("epoch", "step", "criterion", "value"), "divergence", fail)
        if not isinstance(divergence["epoch"], int) or divergence["epoch"] < 1:
            fail("divergence.epoch must be a positive integer")


def _validate_config(config, fail) -> None:
    if not isinstance(config, dict):
        fail("config must be an object")
    for section in run_config.SECTIONS:
        if not isinstance(config.get(section), dict):
            fail(f"config.{section} must be an object")
    missing = [f"{section}.{key}" for section, key in run_config.REQUIRED
               if key not in config[section]]
    if missing:
        fail(f"config is missing key(s) {', '.join(missing)}")


def _require_keys(section, keys, name, fail) -> None:
    if not isinstance(section, dict):
        fail(f"{name} must be an object")
    missing = [key for key in keys if key not in section]
    if missing:
        fail(f"{name} is missing key(s) {', '.join(missing)}")


def _validate_records(records, fail) -> None:
    if not isinstance(records, dict):
        fail("history must be an object of per-evaluation lists")
    missing = [key for key in HISTORY_KEYS if key not in records]
    if missing:
        fail(f"history is missing key(s) {', '.join(missing)}")
    length = len(records["epoch"]) if isinstance(records["epoch"], list) else 0
    for key, values in records.items():
        if not isinstance(values, list):
            fail(f"history.{key} must be a list")
        if len(values) != length:
            fail(f"history.{key} has {len(values)} entries but history.epoch has {length}")
        if key == "epoch":
            if values != list(range(1, length + 1)):
                fail("history.epoch must count 1, 2, 3, ...")
        elif key in INTEGER_KEYS:
            if not all(value is None or _is_integer(value) for value in values):
                fail(f"history.{key} must hold integers or null")
        elif not all(value is None or _is_number(value) for value in values):
            fail(f"history.{key} must hold numbers or null")


def _is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def find_history_files(results_dir: str | os.PathLike) -> Iterator[Path]:
    """Every `<experiment>/<run>/history.json` below `results_dir`, in sorted order."""
    yield from sorted(Path(results_dir).glob(f"*/*/{FILENAME}"))
