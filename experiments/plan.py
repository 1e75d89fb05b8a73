"""From a configuration to the list of runs: everything checked before anything is trained.

`plan_experiment` validates optimizer names and hyperparameters, schedule,
model, data files, output folder and free space, and works out each run's
resolved config and folder (the grid: `experiments.grid`). With `resume`, it
finds the experiment to continue and checks that every run that already
started did so with the same settings.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import data
import models
from analysis.history import FILENAME, HistoryError, read_history
from experiments.config import ConfigError, ExperimentConfig
from experiments.grid import (
    chosen_hyperparameters,
    grid_axes,
    hyperparameter_grid,
    optimizer_names,
    run_folder_name,
)
from training.checkpoint import checkpoint_bytes
from training.schedules import resolve_schedule

# Run-config keys added after the first release, and the values a history
# without them ran with: such runs resume, and compare, as if they had them.
ADDED_KEYS = {
    "lr_schedule": {"name": "constant", "warmup_epochs": 0},
    "l2": 0.0,
    "dropout": None,
    "batch_norm": True,
    "early_stopping": None,
    "target": None,
}


@dataclass(frozen=True)
class Run:
    """One training run: what goes into its history's "config", and where it is written."""

    config: dict
    folder: Path


@dataclass(frozen=True)
class Plan:
    folder: Path  # the experiment folder
    runs: list[Run]
    arrays: dict  # the data set, preprocessed once for all runs


def plan_experiment(config: ExperimentConfig) -> Plan:
    """Validate the whole experiment, load the data, create or find the experiment folder."""
    info = data.get_dataset_info(config.dataset)
    model = config.model or info.default_model
    if model not in models.MODELS:
        raise ConfigError(f"unknown model {model!r}; choose from: {', '.join(models.MODELS)}")
    if config.init not in models.INITIALIZERS:
        raise ConfigError(
            f"unknown init {config.init!r}; choose from: {', '.join(models.INITIALIZERS)}"
        )
    schedule = resolve_schedule(config)
    names = optimizer_names(config.optimizer)
    chosen = chosen_hyperparameters(config)
    grids = {name: hyperparameter_grid(name, chosen) for name in names}
    arrays = load_arrays(config)
    if config.subset is not None and config.subset > len(arrays["y_train"]):
        raise ConfigError(
            f"--subset {config.subset} is larger than the {len(arrays['y_train'])} training images"
        )
    axes = grid_axes(chosen)
    several_batch_sizes = len(config.batch_size) > 1
    combinations = [(name, hyperparameters, batch_size, seed)
                    for name in names for hyperparameters in grids[name]
                    for batch_size, seed in itertools.product(config.batch_size, config.seed)]
    planned = [  # (run config, folder name) of every combination
        (run_config(config, model, schedule, name, hyperparameters, batch_size, seed),
         run_folder_name(name, hyperparameters, seed,
                         batch_size if several_batch_sizes else None, axes))
        for name, hyperparameters, batch_size, seed in combinations
    ]
    require_unique([folder_name for _, folder_name in planned])
    folder = find_experiment(config, model) if config.resume else new_experiment(config, model)
    runs = [Run(settings, folder / folder_name) for settings, folder_name in planned]
    if config.resume:
        check_resumable(runs)
    require_space(folder, model, info)
    return Plan(folder, runs, arrays)


def run_config(config: ExperimentConfig, model: str, schedule: dict, optimizer: str,
               hyperparameters: dict, batch_size, seed: int) -> dict:
    """The resolved config of one run, as its history records it: enough to repeat it."""
    return {
        "dataset": config.dataset,
        "model": model,
        "optimizer": optimizer,
        "optimizer_config": hyperparameters,
        "epochs": config.epochs,
        "batch_size": batch_size,
        "seed": seed,
        "subset": config.subset,
        "validation_split": config.validation_split,
        "init": config.init,
        "lr_schedule": schedule,
        "l2": config.l2,
        "dropout": config.dropout,
        "batch_norm": config.batch_norm,
        "early_stopping": config.early_stopping,
        "target": config.target,
        "divergence_threshold": config.divergence_threshold,
        "data_dir": config.data_dir,
    }


def with_added_keys(config: dict) -> dict:
    """A run config with the keys added since the first release at their old values."""
    return {**ADDED_KEYS, **config}


def require_unique(folders: list[str]) -> None:
    seen = set()
    for name in folders:
        if name in seen:
            raise ConfigError(f"two runs of this grid would share the folder {name}; "
                              "remove the repeated value")
        seen.add(name)


def load_arrays(config: ExperimentConfig) -> dict:
    """The data set, scaled once (float32 images, int64 labels)."""
    (x_train, y_train), (x_test, y_test) = data.load_dataset(config.dataset, config.data_dir)
    return {
        "x_train": data.preprocess(x_train, config.dataset),
        "y_train": y_train.astype("int64"),
        "x_test": data.preprocess(x_test, config.dataset),
        "y_test": y_test.astype("int64"),
    }


def holds_runs(folder: Path) -> bool:
    return any(folder.glob(f"*/{FILENAME}"))


def new_experiment(config: ExperimentConfig, model: str) -> Path:
    """Create a fresh experiment folder (checking it can be written); never mix into old runs."""
    output = Path(config.output_dir)
    if config.experiment:
        folder = output / config.experiment
        if holds_runs(folder):
            raise ConfigError(
                f"experiment folder {folder} already holds runs; continue them with --resume "
                "or choose another --experiment"
            )
    else:
        stem = f"{config.dataset}_{model}_{datetime.now():%Y%m%d-%H%M%S}"
        folder, number = output / stem, 1
        while holds_runs(folder):  # two experiments started within one second
            number += 1
            folder = output / f"{stem}-{number}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ConfigError(
            f"cannot write to output folder {folder}: {error.strerror or error}"
        ) from None
    return folder


def find_experiment(config: ExperimentConfig, model: str) -> Path:
    """The experiment to resume: the one named, or the latest of this data set and model."""
    output = Path(config.output_dir)
    if config.experiment:
        folder = output / config.experiment
        if not holds_runs(folder):
            raise ConfigError(f"--resume: {folder} holds no runs to resume")
        return folder
    candidates = [folder for folder in output.glob(f"{config.dataset}_{model}_*")
                  if holds_runs(folder)]
    if not candidates:
        raise ConfigError(
            f"--resume: no {config.dataset}_{model}_* experiment under {output}; "
            "name one with --experiment"
        )
    return max(candidates, key=lambda folder: folder.stat().st_mtime)


def check_resumable(runs: list[Run]) -> None:
    """Refuse to continue a run with settings other than those it started with."""
    for run in runs:
        path = run.folder / FILENAME
        if not path.exists():
            continue
        try:
            started = read_history(path)["config"]
        except HistoryError as error:
            raise ConfigError(f"--resume: {error}") from None
        started = with_added_keys(started)
        for key, value in run.config.items():
            if started.get(key) != value:
                raise ConfigError(
                    f"--resume: {run.folder} was started with {key}={started.get(key)!r}, "
                    f"not {value!r}; resume with the settings it started with"
                )


def require_space(folder: Path, model: str, info) -> None:
    """Refuse to start without room for a checkpoint (two, while one replaces the other)."""
    needed = 2 * checkpoint_bytes(models.build_model(model, info.image_shape, info.num_classes))
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise ConfigError(
            f"not enough free space in {folder} for checkpoints: need {needed / 1e6:.0f} MB, "
            f"{free / 1e6:.0f} MB free"
        )
