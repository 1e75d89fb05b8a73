"""The one training loop: data -> model -> optimizer -> `model.fit` with callbacks.

`run_experiment(config)` checks everything before it writes anything (see
`experiments.plan`), then trains every run of the grid (optimizers, learning rates,
batch sizes, seeds), one after another, into one experiment folder, and ends
with the comparison table.
Each run writes its history and a checkpoint after every epoch, so an
interrupted experiment continues with `--resume` exactly where it stopped.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras.optimizers.schedules import LearningRateSchedule  # noqa: E402

import data  # noqa: E402
import models  # noqa: E402
import optimizers  # noqa: E402
from analysis import summary  # noqa: E402
from analysis.history import (  # noqa: E402
    FILENAME,
    FINISHED_STATUSES,
    HistoryError,
    new_history,
    read_history,
    write_history,
)
from experiments.config import ConfigError, ExperimentConfig  # noqa: E402
from experiments.guard import Interrupted, experiment_lock, interruptible  # noqa: E402
from experiments.plan import Run, plan_experiment, with_added_keys  # noqa: E402
from training.callbacks import EarlyStop, HistoryWriter, Plateau  # noqa: E402
from training.checkpoint import (  # noqa: E402
    Checkpointer,
    latest_checkpoint,
    remove_checkpoints,
    restore_checkpoint,
)
from training.pipeline import steps_per_epoch, training_batches  # noqa: E402
from training.schedules import PLATEAU_MIN_DELTA, build_learning_rate  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_experiment(config: ExperimentConfig, prog: str = "train_model.py", argv=()) -> int:
    """Train every run of `config`; the exit status for the command line."""
    try:
        device = select_device(config.device)
        plan = plan_experiment(config)
    except (ConfigError, data.DataError, ValueError, OSError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    environment = describe_environment(device)
    print(f"Device: {device}")
    print(f"Experiment: {plan.folder} ({len(plan.runs)} run{'s' if len(plan.runs) > 1 else ''})")
    histories = []
    try:
        with experiment_lock(plan.folder), interruptible():
            for number, run in enumerate(plan.runs, start=1):
                print(f"\n[{number}/{len(plan.runs)}] {describe_run(run.config)}", flush=True)
                histories.append(train(run, plan.arrays, environment, config))
    except ConfigError as error:  # the experiment is locked by a live process
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except Interrupted as stop:
        print(f"\n{prog}: stopped by {stop.signal_name}; finished epochs are saved. "
              f"Resume with:\n  {resume_command(prog, argv, plan.folder)}", file=sys.stderr)
        return stop.exit_status
    finally:
        report(histories, plan.folder)
    return 0


def resume_command(prog: str, argv, folder: Path) -> str:
    """The command that continues this experiment."""
    arguments = [argument for argument in argv if argument != "--resume"]
    if not any(argument.split("=")[0] == "--experiment" for argument in arguments):
        arguments += ["--experiment", folder.name]
    return shlex.join(["python", prog, *arguments, "--resume"])


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


def describe_environment(device: str) -> dict:
    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": device,
        "git_commit": git_commit(),
    }


def git_commit() -> str | None:
    """HEAD's commit, with "+dirty" when tracked files differ from it; None outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    if not commit:
        return None
    return commit + "+dirty" if dirty else commit


def describe_run(config: dict) -> str:
    settings = ", ".join(f"{key}={value}" for key, value in config["optimizer_config"].items()
                         if value is not None)
    return f"{config['optimizer']} ({settings}) batch={config['batch_size']} seed={config['seed']}"


def split_for_run(arrays: dict, config: dict) -> tuple[tuple, tuple]:
    """The run's training and validation arrays: subset, then validation split, by seed."""
    x, y = arrays["x_train"], arrays["y_train"]
    if config["subset"] is not None:
        x, y = data.class_balanced_subset(x, y, config["subset"], config["seed"])
    return data.split_validation(x, y, config["validation_split"], config["seed"])


def batch_size_for(config: dict, examples: int) -> int:
    """The run's batch size in examples: "full" is the whole training set (one step an epoch)."""
    return examples if config["batch_size"] == "full" else config["batch_size"]


def build_compiled_model(config: dict, learning_rate):
    """The run's model, compiled with its optimizer; `learning_rate` a float or a schedule."""
    info = data.get_dataset_info(config["dataset"])
    model = models.build_model(config["model"], info.image_shape, info.num_classes, config["init"],
                               dropout=config["dropout"], batch_norm=config["batch_norm"],
                               l2=config["l2"])
    hyperparameters = {**config["optimizer_config"], "learning_rate": learning_rate}
    model.compile(
        optimizer=optimizers.get(config["optimizer"], **hyperparameters),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=False,  # XLA is several times slower for these networks on a CPU
    )
    return model


def previous_history(path: Path) -> dict | None:
    """The history an earlier attempt at this run left, if any and readable."""
    for leftover in path.parent.glob(f".{FILENAME}.*.tmp"):  # a write cut off by a crash
        leftover.unlink()
    try:
        return read_history(path) if path.exists() else None
    except HistoryError:
        return None


def truncated(history: dict, epochs: int) -> dict:
    """`history` cut back to its first `epochs` epochs, ready to continue."""
    record = {key: values[:epochs] for key, values in history["history"].items()}
    target = history.get("target")
    if target and target["epoch"] > epochs:
        target = None
    return {**history, "history": record, "status": "running", "test": None,
            "wall_time_s": sum(record["epoch_time_s"]), "diverged_at_epoch": None,
            "target": target, "early_stopping": None}


def stateful_callbacks(config: dict) -> list:
    """The callbacks whose state a checkpoint keeps: plateau, early stopping (if set)."""
    callbacks = []
    schedule = config["lr_schedule"]
    if schedule["name"] == "plateau":
        callbacks.append(Plateau(schedule["decay_rate"], schedule["patience"], PLATEAU_MIN_DELTA))
    if config["early_stopping"]:
        callbacks.append(EarlyStop(config["early_stopping"]))
    return callbacks


def train(run: Run, arrays: dict, environment: dict, options: ExperimentConfig) -> dict:
    """Train one run to its end (or continue it), writing history and checkpoint every epoch."""
    path = run.folder / FILENAME
    config = with_added_keys(run.config)  # a run config written before those keys existed
    previous = previous_history(path)
    if previous and previous["status"] in FINISHED_STATUSES:
        print(f"already {previous['status']}: {run.folder}")
        if not options.keep_checkpoints:
            remove_checkpoints(run.folder)
        return previous
    keras.backend.clear_session()
    keras.utils.set_random_seed(config["seed"])
    tf.config.experimental.enable_op_determinism()
    (x_train, y_train), validation = split_for_run(arrays, config)
    batch_size = batch_size_for(config, len(x_train))
    steps = steps_per_epoch(len(x_train), batch_size)
    learning_rate = build_learning_rate(config["lr_schedule"],
                                        config["optimizer_config"]["learning_rate"], steps)
    model = build_compiled_model(config, learning_rate)
    stateful = stateful_callbacks(config)
    early_stop = next((callback for callback in stateful if isinstance(callback, EarlyStop)), None)
    first_epoch, history = start_or_continue(run, previous, model, stateful, environment)
    # A checkpoint taken after early stopping decided to stop: no epoch is left to run, but
    # `fit` still ends training, which restores the best weights.
    last_epoch = first_epoch if early_stop and early_stop.stopped else config["epochs"]
    schedule = learning_rate if isinstance(learning_rate, LearningRateSchedule) else None
    try:
        model.fit(
            training_batches(x_train, y_train, batch_size, config["seed"], first_epoch,
                             last_epoch),
            steps_per_epoch=steps,
            initial_epoch=first_epoch,
            epochs=last_epoch,
            shuffle=False,  # training_batches orders every epoch itself
            validation_data=validation,
            verbose=2 if options.quiet else 1,
            # The writer first, to record the epoch before others change rate or weights;
            # the checkpoint last, to save their updated state.
            callbacks=[HistoryWriter(history, path, config["divergence_threshold"], schedule,
                                     config["target"]),
                       *stateful, Checkpointer(run.folder, stateful)],
        )
        finish(history, model, early_stop, arrays, batch_size)
    except Interrupted:
        history["status"] = "interrupted"
        raise
    except Exception:
        history["status"] = "failed"
        raise
    finally:
        write_history(path, history)
    if not options.keep_checkpoints:
        remove_checkpoints(run.folder)
    return history


def start_or_continue(run: Run, previous: dict | None, model, stateful: list,
                      environment: dict) -> tuple[int, dict]:
    """(first epoch, history): restored from the run's latest checkpoint, or a fresh start."""
    checkpoint = latest_checkpoint(run.folder) if previous else None
    if checkpoint:
        first_epoch = restore_checkpoint(model, checkpoint[1], stateful)
        history = truncated(previous, first_epoch)
        print(f"resuming after epoch {first_epoch}")
    else:
        remove_checkpoints(run.folder)
        first_epoch, history = 0, new_history(run.config, environment)
    history["environment"] = environment
    run.folder.mkdir(parents=True, exist_ok=True)
    write_history(run.folder / FILENAME, history)
    return first_epoch, history


def finish(history: dict, model, early_stop, arrays: dict, batch_size: int) -> None:
    """The status of a run whose `fit` returned, and the test scores unless it diverged."""
    if early_stop:
        history["early_stopping"] = early_stop.summary()
    if history["status"] != "running":  # diverged
        return
    history["status"] = "early_stopped" if early_stop and early_stop.stopped else "completed"
    scores = model.evaluate(arrays["x_test"], arrays["y_test"], batch_size=batch_size,
                            verbose=0, return_dict=True)
    history["test"] = {key: float(value) for key, value in scores.items()}


def report(histories: list[dict], experiment: Path) -> None:
    """Print the comparison table and write it beside the runs."""
    if not histories:
        return
    rows = summary.summarize(histories)
    print("\n" + summary.format_text(rows))
    for path in summary.write_tables(rows, experiment):
        print(f"Wrote {path}")
