"""From a configuration to the list of runs: everything checked before anything is trained.

`plan_experiment` validates optimizer names and hyperparameters, model, data
files, output folder and free space, and works out each run's resolved config
and folder. With `resume`, it finds the experiment to continue and checks that
every run that already started did so with the same settings.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import data
import models
import optimizers
from training.checkpoint import checkpoint_bytes
from training.config import ConfigError, ExperimentConfig
from training.history import FILENAME, HistoryError, read_history

# Base-class arguments that every optimizer accepts besides its own hyperparameters.
COMMON_OPTIMIZER_ARGUMENTS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


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
    names = optimizer_names(config.optimizer)
    resolved = {name: resolve_optimizer(name, config) for name in names}
    arrays = load_arrays(config)
    if config.subset is not None and config.subset > len(arrays["y_train"]):
        raise ConfigError(
            f"--subset {config.subset} is larger than the {len(arrays['y_train'])} training images"
        )
    folder = find_experiment(config, model) if config.resume else new_experiment(config, model)
    runs = [
        Run(run_config(config, model, name, resolved[name], seed),
            folder / run_folder_name(name, resolved[name], seed))
        for name in names
        for seed in config.seed
    ]
    if config.resume:
        check_resumable(runs)
    require_space(folder, model, info)
    return Plan(folder, runs, arrays)


def run_config(config: ExperimentConfig, model: str, optimizer: str, hyperparameters: dict,
               seed: int) -> dict:
    """The resolved config of one run, as its history records it: enough to repeat it."""
    return {
        "dataset": config.dataset,
        "model": model,
        "optimizer": optimizer,
        "optimizer_config": hyperparameters,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "seed": seed,
        "subset": config.subset,
        "validation_split": config.validation_split,
        "init": config.init,
        "divergence_threshold": config.divergence_threshold,
        "data_dir": config.data_dir,
    }


def optimizer_names(requested: tuple[str, ...]) -> list[str]:
    """Expand 'all' and drop repeats, keeping the order given."""
    names = []
    for name in requested:
        for expanded in optimizers.MISSION if name == "all" else (name,):
            if expanded not in optimizers.OPTIMIZERS:
                raise ConfigError(
                    f"unknown optimizer {expanded!r}; choose from: "
                    f"{', '.join(optimizers.OPTIMIZERS)}, or all"
                )
            if expanded not in names:
                names.append(expanded)
    return names


def resolve_optimizer(name: str, config: ExperimentConfig) -> dict:
    """The hyperparameters optimizer `name` will run with: its defaults, then the ones set.

    With several optimizers, a hyperparameter set on the command line goes to
    each optimizer that has it; one that no registered optimizer has is an error.
    """
    own = optimizers.hyperparameters(name)
    chosen = {**config.optimizer_config}
    if config.learning_rate is not None:
        chosen["learning_rate"] = config.learning_rate
    known = all_hyperparameter_names()
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise ConfigError(
            f"unknown optimizer hyperparameter {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    accepted = {key: value for key, value in chosen.items()
                if key in own or key in COMMON_OPTIMIZER_ARGUMENTS}
    optimizers.get(name, **accepted)  # raises ValueError naming a bad value
    return {**own, **accepted}


def all_hyperparameter_names() -> set[str]:
    """Every hyperparameter some registered optimizer accepts."""
    names = set(COMMON_OPTIMIZER_ARGUMENTS)
    for name in optimizers.OPTIMIZERS:
        names.update(optimizers.hyperparameters(name))
    return names


def run_folder_name(optimizer: str, hyperparameters: dict, seed: int) -> str:
    """`<optimizer>_lr<lr>[_<hash>]_seed<seed>`: the hash tells apart other hyperparameters."""
    defaults = optimizers.hyperparameters(optimizer)
    changed = {key: value for key, value in hyperparameters.items()
               if key != "learning_rate" and defaults.get(key) != value}
    name = f"{optimizer}_lr{hyperparameters['learning_rate']:g}"
    if changed:
        digest = hashlib.sha1(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:6]
        name += f"_{digest}"
    return f"{name}_seed{seed}"


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
