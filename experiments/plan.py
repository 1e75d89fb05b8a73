"""From a configuration to the manifest of run specs: checked before anything is trained.

`plan_experiment` validates optimizer names and hyperparameters, schedule,
model and output folder, and works out each run's resolved, sectioned config
and folder (the grid: `experiments.grid`): one run spec each, plain JSON
(`training.runner.run_one` takes it). It loads no data and builds no model;
what needs them is `training.preflight`. With `resume`, it finds the
experiment to continue and checks that every run that already started did so
with the same settings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import data
import models
from analysis import run_config as schema
from analysis.history import FILENAME, HistoryError, read_history
from experiments.config import ConfigError, ExperimentConfig
from experiments.grid import (
    chosen_hyperparameters,
    grid_axes,
    hyperparameter_grid,
    optimizer_names,
    run_folder_name,
)
from experiments.schedule import resolve_schedule
from training import distribute


@dataclass(frozen=True)
class Plan:
    """The experiment folder and its manifest: one run spec (a JSON object) per run.

    A spec is {"config": sectioned run config, "folder": str, "runtime": {"device",
    "verbose", "keep_checkpoints"}}; see `training.runner.run_one`.
    """

    folder: Path
    specs: list[dict]


def plan_experiment(config: ExperimentConfig) -> Plan:
    """Validate the whole experiment and create or find its folder; the manifest of runs."""
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
    if schema.MAP_KEY in chosen and schedule["name"] == "plateau":
        raise ConfigError("--lr_schedule plateau cannot be combined with --optimizer_map: it "
                          "changes one learning rate; use a schedule every group follows")
    grids = {name: hyperparameter_grid(name, chosen) for name in names}
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
    if config.resume:
        folder = find_experiment(config, model)
    elif distribute.is_chief(config.distribute):
        folder = new_experiment(config, model)
    else:  # a multi-worker non-chief writes nothing there; the chief creates it
        folder = Path(config.output_dir) / config.experiment
    runtime = {"device": config.device, "verbose": 2 if config.quiet else 1,
               "keep_checkpoints": config.keep_checkpoints}
    specs = [{"config": settings, "folder": str(folder / folder_name), "runtime": runtime}
             for settings, folder_name in planned]
    if config.resume:
        check_resumable(specs)
    return Plan(folder, specs)


def run_config(config: ExperimentConfig, model: str, schedule: dict, optimizer: str,
               hyperparameters: dict, batch_size, seed: int) -> dict:
    """The resolved, sectioned config of one run: enough to repeat it.

    Its keys are those of `analysis.run_config.FIELDS`, each taken from the flag of the
    same name; the optimizer section is the name and every hyperparameter, the schedule
    section the resolved schedule.
    """
    per_run = {"model": model, "batch_size": batch_size, "seed": seed}
    sectioned = schema.empty()
    for flag, (section, key) in schema.FIELDS.items():
        if section not in ("optimizer", "schedule"):
            sectioned[section][key] = per_run[flag] if flag in per_run else getattr(config, flag)
    sectioned["optimizer"] = {"name": optimizer, **hyperparameters}
    sectioned["schedule"] = schedule
    return sectioned


def require_unique(folders: list[str]) -> None:
    seen = set()
    for name in folders:
        if name in seen:
            raise ConfigError(f"two runs of this grid would share the folder {name}; "
                              "remove the repeated value")
        seen.add(name)


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


def check_resumable(specs: list[dict]) -> None:
    """Refuse to continue a run with settings other than those it started with."""
    for spec in specs:
        path = Path(spec["folder"]) / FILENAME
        if not path.exists():
            continue
        try:
            started = schema.with_added_keys(read_history(path)["config"])
        except HistoryError as error:
            raise ConfigError(f"--resume: {error}") from None
        for section, settings in spec["config"].items():
            for key, value in settings.items():
                if started[section].get(key) != value:
                    raise ConfigError(
                        f"--resume: {spec['folder']} was started with {section}.{key}="
                        f"{started[section].get(key)!r}, not {value!r}; resume with the "
                        "settings it started with"
                    )
