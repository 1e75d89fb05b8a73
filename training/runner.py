"""The one training loop: data -> model -> optimizer -> `model.fit` with callbacks.

`run_experiment(config)` checks everything it can before it writes anything
(optimizer names and hyperparameters, model, device, data files, output
folder), then trains every optimizer with every seed, one run after another,
into one experiment folder, and ends with the comparison table.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import data  # noqa: E402
import models  # noqa: E402
import optimizers  # noqa: E402
from training import summary  # noqa: E402
from training.callbacks import HistoryWriter  # noqa: E402
from training.config import ConfigError, ExperimentConfig  # noqa: E402
from training.history import FILENAME, new_history, write_history  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# Base-class arguments that every optimizer accepts besides its own hyperparameters.
COMMON_OPTIMIZER_ARGUMENTS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


@dataclass(frozen=True)
class Run:
    """One training run: what goes into its history's "config", and where it is written."""

    config: dict
    folder: Path


def run_experiment(config: ExperimentConfig, prog: str = "train_model.py") -> int:
    """Train every run of `config`; the exit status for the command line."""
    try:
        device = select_device(config.device)
        runs, arrays = plan_experiment(config)
    except (ConfigError, data.DataError, ValueError, OSError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    environment = describe_environment(device)
    experiment = runs[0].folder.parent
    print(f"Device: {device}")
    print(f"Experiment: {experiment} ({len(runs)} run{'s' if len(runs) > 1 else ''})")
    histories = []
    try:
        for number, run in enumerate(runs, start=1):
            print(f"\n[{number}/{len(runs)}] {describe_run(run.config)}", flush=True)
            histories.append(train(run, arrays, environment, quiet=config.quiet))
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted; finished runs are kept in {experiment}", file=sys.stderr)
        return 130
    finally:
        report(histories, experiment)
    return 0


def select_device(requested: str) -> str:
    """Make TensorFlow use the requested device; a description of the one used."""
    gpus = tf.config.list_physical_devices("GPU")
    if requested == "cpu":
        if gpus:
            tf.config.set_visible_devices([], "GPU")
        return "CPU"
    if not gpus:
        if requested == "gpu":
            raise ConfigError("--device gpu: TensorFlow sees no GPU here; use --device cpu or auto")
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return f"GPU ({details.get('device_name', gpus[0].name)})"


def plan_experiment(config: ExperimentConfig) -> tuple[list[Run], dict]:
    """Validate the whole experiment, load the data, create the experiment folder."""
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
    experiment = make_experiment_folder(config, model)
    runs = []
    for name in names:
        for seed in config.seed:
            run_config = {
                "dataset": config.dataset,
                "model": model,
                "optimizer": name,
                "optimizer_config": resolved[name],
                "epochs": config.epochs,
                "batch_size": config.batch_size,
                "seed": seed,
                "subset": config.subset,
                "validation_split": config.validation_split,
                "init": config.init,
                "data_dir": config.data_dir,
            }
            runs.append(Run(run_config, experiment / run_folder_name(name, resolved[name], seed)))
    return runs, arrays


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
    each optimizer that has it; one that no chosen optimizer has is an error.
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


def make_experiment_folder(config: ExperimentConfig, model: str) -> Path:
    """Create the experiment folder (checking it can be written); refuse to mix runs into one."""
    output = Path(config.output_dir)
    name = config.experiment or f"{config.dataset}_{model}_{datetime.now():%Y%m%d-%H%M%S}"
    folder = output / name
    if config.experiment and any(folder.glob(f"*/{FILENAME}")):
        raise ConfigError(
            f"experiment folder {folder} already holds runs; choose another --experiment"
        )
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


def describe_environment(device: str) -> dict:
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": device,
        "git_commit": git_commit(),
    }


def git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def describe_run(config: dict) -> str:
    settings = ", ".join(f"{key}={value}" for key, value in config["optimizer_config"].items())
    return f"{config['optimizer']} ({settings}) seed={config['seed']}"


def split_for_run(arrays: dict, config: dict) -> tuple[tuple, tuple]:
    """The run's training and validation arrays: subset, then validation split, by seed."""
    x, y = arrays["x_train"], arrays["y_train"]
    if config["subset"] is not None:
        x, y = data.class_balanced_subset(x, y, config["subset"], config["seed"])
    return data.split_validation(x, y, config["validation_split"], config["seed"])


def train(run: Run, arrays: dict, environment: dict, quiet: bool = False) -> dict:
    """Train one run to the end, writing its history after every epoch; returns the history."""
    config = run.config
    keras.backend.clear_session()
    keras.utils.set_random_seed(config["seed"])
    tf.config.experimental.enable_op_determinism()
    (x_train, y_train), (x_val, y_val) = split_for_run(arrays, config)
    info = data.get_dataset_info(config["dataset"])
    model = models.build_model(config["model"], info.image_shape, info.num_classes, config["init"])
    model.compile(
        optimizer=optimizers.get(config["optimizer"], **config["optimizer_config"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,  # XLA is several times slower for these networks on a CPU
    )
    run.folder.mkdir(parents=True, exist_ok=True)
    path = run.folder / FILENAME
    history = new_history(config, environment)
    write_history(path, history)
    started = time.perf_counter()
    try:
        model.fit(
            x_train, y_train,
            validation_data=(x_val, y_val),
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            shuffle=True,
            verbose=2 if quiet else 1,
            callbacks=[HistoryWriter(history, path)],
        )
        history["wall_time_s"] = time.perf_counter() - started
        if history["status"] != "diverged":
            history["status"] = "completed"
            scores = model.evaluate(
                arrays["x_test"], arrays["y_test"],
                batch_size=config["batch_size"], verbose=0, return_dict=True,
            )
            history["test"] = {key: float(value) for key, value in scores.items()}
    except KeyboardInterrupt:
        history["status"] = "interrupted"
        raise
    except Exception:
        history["status"] = "failed"
        raise
    finally:
        write_history(path, history)
    return history


def report(histories: list[dict], experiment: Path) -> None:
    """Print the comparison table and write it beside the runs."""
    if not histories:
        return
    rows = summary.summarize(histories)
    print("\n" + summary.format_text(rows))
    for path in summary.write_tables(rows, experiment):
        print(f"Wrote {path}")

