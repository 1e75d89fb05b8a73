"""Schema-valid history dicts (schema 2) and results trees for the plotting and summary tests."""

from __future__ import annotations

import os
from pathlib import Path

from analysis import run_config
from analysis.history import FILENAME, new_history, write_history

ENVIRONMENT = {
    "python": "3.11.7",
    "tensorflow": None,
    "keras": None,
    "device": "CPU",
    "git_commit": None,
}


def make_history(
    optimizer: str = "adam",
    seed: int = 0,
    *,
    loss=(1.0, 0.6, 0.4),
    accuracy=None,
    val_loss=None,
    val_accuracy=None,
    train_time_s=None,
    status: str = "completed",
    test_accuracy: float | None = 0.9,
    wall_time_s: float = 10.0,
    **config,
) -> dict:
    """A run of len(loss) epochs; unspecified curves are derived from `loss`.

    `config` takes the flat names of the settings (`batch_size=32`,
    `optimizer_config={...}`), put into sections as a schema 1 config would be.
    """
    epochs = len(loss)
    settings = {
        "dataset": "mnist",
        "model": "cnn",
        "optimizer": optimizer,
        "optimizer_config": {"learning_rate": 0.001},
        "epochs": epochs,
        "batch_size": 64,
        "seed": seed,
        "subset": None,
        "validation_split": 0.1,
    }
    settings.update(config)
    history = new_history(run_config.from_flat(settings), ENVIRONMENT)
    curves = {
        "epoch": list(range(1, epochs + 1)),
        "step": [10 * epoch for epoch in range(1, epochs + 1)],
        "loss": list(loss),
        "accuracy": list(accuracy) if accuracy is not None else [0.5] * epochs,
        "val_loss": list(val_loss) if val_loss is not None else list(loss),
        "val_accuracy": list(val_accuracy) if val_accuracy is not None else [0.5] * epochs,
        "lr": [0.001] * epochs,
        "train_time_s": list(train_time_s) if train_time_s is not None else [1.0] * epochs,
        "eval_time_s": [0.25] * epochs,
    }
    history["history"] = curves
    history["status"] = status
    history["test"] = None if test_accuracy is None else {"loss": 0.1, "accuracy": test_accuracy}
    history["wall_time_s"] = wall_time_s
    if status == "diverged":
        finite = [value for value in loss if value is not None]
        epoch = len(finite) + 1 if len(finite) < epochs else epochs
        history["divergence"] = {"epoch": epoch, "step": 10 * epoch,
                                 "criterion": "non_finite_loss", "value": None}
    return history


def write_run(results_dir: Path, experiment: str, history: dict, modified: float | None = None):
    """Write `history` to `<results_dir>/<experiment>/<run>/history.json`; optionally set mtime."""
    config = history["config"]
    rate = config["optimizer"].get("learning_rate")
    seed = config["execution"]["seed"]
    folder = Path(results_dir) / experiment / f"{config['optimizer']['name']}_lr{rate}_seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILENAME
    write_history(path, history)
    if modified is not None:
        os.utime(path, (modified, modified))
    return path
