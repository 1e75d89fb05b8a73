"""Schema 1 histories read as schema 2 (pure Python).

Schema 1 (the first release) recorded, per epoch, `epoch_time_s`: the seconds
from the start of the epoch to its end, *validation included*; it had no step
count, no separate evaluation time and no data sizes; a diverged run had
`diverged_at_epoch` without the rule that fired; its config was flat
(`optimizer`, `optimizer_config`, `lr_schedule`, ...).
"""

from __future__ import annotations

from analysis import run_config

UNKNOWN_CRITERION = "unknown (schema 1)"

class MigrationError(ValueError):
    """A schema 1 file that lacks what schema 1 requires; the message is one line."""


V1_KEYS = ("schema_version", "status", "config", "environment", "history", "test",
           "wall_time_s", "diverged_at_epoch")


def migrate(history: dict) -> dict:
    """`history` (schema 1) in schema 2. What schema 1 did not record stays unknown:

    - `train_time_s` takes schema 1's `epoch_time_s`, which *includes* the
      validation at the end of each epoch; `eval_time_s` is null throughout;
    - `step` is null throughout; so is the target's and the divergence's step;
    - `diverged_at_epoch` becomes `divergence` with criterion "unknown (schema 1)";
    - the flat config goes into sections (`analysis.run_config.from_flat`), with
      the keys added since the first release at the values it ran with;
    - `data` is null.

    Raises MigrationError when it lacks a schema 1 key.
    """
    missing = [key for key in V1_KEYS if key not in history]
    if missing:
        raise MigrationError(f"missing key(s) {', '.join(missing)}")
    if not isinstance(history["config"], dict) or not isinstance(history["history"], dict):
        raise MigrationError("config and history must be objects")
    records = dict(history["history"])
    count = len(records.get("epoch") or [])
    records["train_time_s"] = records.pop("epoch_time_s", [None] * count)
    records["eval_time_s"] = [None] * count
    records["step"] = [None] * count
    diverged_at = history["diverged_at_epoch"]
    return {
        "schema_version": 2,
        "status": history["status"],
        "config": run_config.from_flat(history["config"]),
        "environment": history["environment"],
        "data": None,
        "history": records,
        "test": history["test"],
        "wall_time_s": history["wall_time_s"],
        "divergence": None if diverged_at is None else {
            "epoch": diverged_at, "step": None, "criterion": UNKNOWN_CRITERION, "value": None},
        "target": _target(history.get("target"), history["config"]),
        "early_stopping": history.get("early_stopping"),
    }


def _target(target, config: dict):
    if not isinstance(target, dict):
        return target
    return {"metric": "val_accuracy", "value": target.get("value", config.get("target")),
            "epoch": target.get("epoch"), "step": None, "train_time_s": target.get("time_s")}
