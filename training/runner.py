"""One run as a function: `run_one(spec) -> history`.

The one training loop: data -> model -> optimizer -> `model.fit` with callbacks.
A run spec is a plain JSON object (see `run_one`); nothing else is needed, so a
fresh process (a worker, a Ray task) can run it from the spec alone. The run
writes its history and a checkpoint after every epoch into the spec's folder,
so a killed run continues exactly where it stopped when it is run again.
"""

from __future__ import annotations

import functools
from pathlib import Path

import keras
from keras.optimizers.schedules import LearningRateSchedule

import data
import models
import optimizers
from analysis import run_config
from analysis.history import (
    FILENAME,
    FINISHED_STATUSES,
    HistoryError,
    new_history,
    read_history,
    write_history,
)
from training import distribute
from training.callbacks import (
    Clock,
    DivergenceStop,
    EarlyStop,
    HistoryRecorder,
    HistoryWriter,
    Plateau,
    TargetTracker,
)
from training.checkpoint import (
    Checkpointer,
    latest_checkpoint,
    remove_checkpoints,
    restore_checkpoint,
)
from training.divergence import DivergenceRule
from training.environment import describe_environment, select_device
from training.evaluation_weights import AveragedWeights, evaluated_at_averaged_weights
from training.optimizer_map import with_optimizer_map
from training.pipeline import steps_per_epoch, training_batches, training_batches_by_step
from training.precision import JIT_COMPILE, policy_name, use_determinism, use_policy
from training.schedules import PLATEAU_MIN_DELTA, build_learning_rate
from training.tensorboard import tensorboard_callback, write_test_scores

RUNTIME_DEFAULTS = {"device": "auto", "verbose": 1, "keep_checkpoints": False}


def run_one(spec: dict) -> dict:
    """Train the run `spec` describes to its end (or continue it); its final history.

    `spec` is {"config": the sectioned run config (`analysis.run_config`),
    "folder": where history.json and checkpoints go, "runtime": {"device":
    auto|cpu|gpu, "verbose": Keras's 0|1|2, "keep_checkpoints": bool}}
    ("runtime" is optional: how to run, never what). A finished run (completed,
    early stopped, diverged) is returned as it is. Raises ValueError for a
    device that is not there, data.DataError for data that cannot be loaded,
    and whatever training raises (the history then says "failed", or
    "interrupted" for KeyboardInterrupt and other BaseExceptions).
    """
    runtime = {**RUNTIME_DEFAULTS, **spec.get("runtime", {})}
    config = run_config.with_added_keys(spec["config"])
    mode = config["execution"]["distribute"]
    environment = describe_environment(select_device(runtime["device"]))
    strategy = distribute.get_strategy(mode, config["execution"]["replicas"])
    # A multi-worker non-chief writes into a temporary copy of the run's folder.
    with distribute.writing_folder(Path(spec["folder"]), mode) as folder:
        previous = previous_history(folder / FILENAME)
        if previous and previous["status"] in FINISHED_STATUSES:
            print(f"already {previous['status']}: {spec['folder']}")
            if not runtime["keep_checkpoints"]:
                remove_checkpoints(folder)
            return previous
        try:
            history = train(config, folder, previous, environment, runtime["verbose"], strategy)
        except Exception as error:
            lost = distribute.lost_worker(error) if mode == "multi_worker" else None
            if lost is None:
                raise
            raise lost from None
        if not runtime["keep_checkpoints"]:
            remove_checkpoints(folder)
    return history


@functools.lru_cache(maxsize=2)
def load_arrays(dataset: str, data_dir: str | None) -> dict:
    """The data set, scaled once per process (float32 images, int64 labels), and where it
    was found ("source": `data.load_dataset_with_source`'s description)."""
    ((x_train, y_train), (x_test, y_test)), source = data.load_dataset_with_source(dataset,
                                                                                  data_dir)
    return {
        "x_train": data.preprocess(x_train, dataset),
        "y_train": y_train.astype("int64"),
        "x_test": data.preprocess(x_test, dataset),
        "y_test": y_test.astype("int64"),
        "source": source,
    }


def split_for_run(arrays: dict, config: dict) -> tuple[tuple, tuple]:
    """The run's training and validation arrays: subset, then validation split, by seed."""
    problem, seed = config["problem"], config["execution"]["seed"]
    x, y = arrays["x_train"], arrays["y_train"]
    if problem["subset"] is not None:
        x, y = data.class_balanced_subset(x, y, problem["subset"], seed)
    return data.split_validation(x, y, problem["validation_split"], seed)


def batch_size_for(config: dict, examples: int) -> int:
    """The run's batch size in examples: "full" is the whole training set (one step an epoch)."""
    batch_size = config["execution"]["batch_size"]
    return examples if batch_size == "full" else batch_size


def build_model(config: dict):
    """The run's model (uncompiled), as its model section and data set describe it."""
    model_config = config["model"]
    info = data.get_dataset_info(config["problem"]["dataset"])
    return models.build_model(model_config["name"], info.image_shape, info.num_classes,
                              model_config["init"], dropout=model_config["dropout"],
                              batch_norm=model_config["batch_norm"], l2=model_config["l2"])


def build_compiled_model(config: dict, learning_rate, steps_per_epoch: int = 1):
    """The run's model, compiled with its optimizer; `learning_rate` a float or a schedule.

    With an optimizer map (`training.optimizer_map`), its groups follow the run's
    schedule over `steps_per_epoch`; ValueError for a map that does not fit the model.
    """
    model = build_model(config)
    hyperparameters = {**run_config.hyperparameters(config), "learning_rate": learning_rate}
    optimizer = optimizers.get(run_config.optimizer_name(config), **hyperparameters)
    model.compile(
        optimizer=with_optimizer_map(config, optimizer, model, steps_per_epoch),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=JIT_COMPILE[config["execution"]["jit_compile"]],
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
    wall_time = sum(value or 0.0 for key in ("train_time_s", "eval_time_s")
                    for value in record[key])
    return {**history, "history": record, "status": "running", "test": None,
            "wall_time_s": wall_time, "divergence": None, "target": target,
            "early_stopping": None}


def stateful_callbacks(config: dict) -> list:
    """The callbacks whose state a checkpoint keeps: plateau, early stopping (if set)."""
    callbacks = []
    schedule = config["schedule"]
    if schedule["name"] == "plateau":
        callbacks.append(Plateau(schedule["decay_rate"], schedule["patience"], PLATEAU_MIN_DELTA))
    if config["execution"]["early_stopping"]:
        callbacks.append(EarlyStop(config["execution"]["early_stopping"]))
    return callbacks


def training_callbacks(history: dict, config: dict, folder: Path, schedule,
                       stateful: list) -> list:
    """The callbacks in their order: clock, recorder, target, divergence, writer (the epoch
    is recorded before others change rate or weights), the stateful ones, the checkpoint
    last (to save their updated state)."""
    clock = Clock()
    # The weights swap after the clock's start of evaluation, so evaluation pays for it.
    callbacks = [clock, AveragedWeights(), HistoryRecorder(history, clock, schedule)]
    if config["problem"]["target"] is not None:
        callbacks.append(TargetTracker(history, config["problem"]["target"]))
    info = data.get_dataset_info(config["problem"]["dataset"])
    rule = DivergenceRule(info.num_classes, config["execution"]["divergence_threshold"])
    callbacks += [DivergenceStop(history, rule), HistoryWriter(history, folder / FILENAME)]
    return [*callbacks, *stateful, Checkpointer(folder, stateful)]


def train(config: dict, folder: Path, previous: dict | None, environment: dict,
          verbose: int, strategy=None) -> dict:
    """Fit the run's model from its start or latest checkpoint; its history, written.

    With a tf.distribute `strategy` (`training.distribute`), the model is built,
    restored and trained in its scope, its learning rates scaled by `--scale_lr`.
    """
    keras.backend.clear_session()  # outside the scope: it resets the graph holding it
    keras.utils.set_random_seed(config["execution"]["seed"])
    with distribute.scope(strategy):
        return fit_run(config, folder, previous, {**environment, **distribute.describe(strategy)},
                       verbose, distribute.replicas_in_sync(strategy))


def fit_run(config: dict, folder: Path, previous: dict | None, environment: dict,
            verbose: int, replicas: int) -> dict:
    """`train` in the strategy's scope, if any; `replicas` in sync."""
    arrays = load_arrays(config["problem"]["dataset"], config["problem"]["data_dir"])
    seed = config["execution"]["seed"]
    deterministic = use_determinism(config["execution"]["jit_compile"])
    (x_train, y_train), validation = split_for_run(arrays, config)
    batch_size = batch_size_for(config, len(x_train))
    steps = steps_per_epoch(len(x_train), batch_size)
    scaled = distribute.scaled_config(config, distribute.learning_rate_factor(
        config["execution"]["scale_lr"], replicas))
    learning_rate = build_learning_rate(config["schedule"],
                                        scaled["optimizer"]["learning_rate"], steps)
    policy = policy_name(config["execution"]["mixed_precision"], environment["device"])
    use_policy(policy)
    model = build_compiled_model(scaled, learning_rate, steps)
    if replicas > 1:
        distribute.synchronize_batch_norm(model)
    environment = {**environment, "precision_policy": policy,
                   "jit_compile": bool(model.jit_compile), "op_determinism": deterministic}
    stateful = stateful_callbacks(config)
    early_stop = next((callback for callback in stateful if isinstance(callback, EarlyStop)), None)
    sizes = {**arrays["source"], "train_examples": len(x_train),
             "validation_examples": len(validation[0]), "test_examples": len(arrays["x_test"])}
    first_epoch, history = start_or_continue(config, folder, previous, model, stateful,
                                             environment, sizes)
    # A checkpoint taken after early stopping decided to stop: no epoch is left to run, but
    # `fit` still ends training, which restores the best weights.
    period, evaluations = evaluation_period(config["execution"], steps)
    last_epoch = first_epoch if early_stop and early_stop.stopped else evaluations
    if period == steps:
        batches = training_batches(x_train, y_train, batch_size, seed, first_epoch, last_epoch)
    else:  # fit's "epochs" are evaluation periods of `period` steps
        batches = training_batches_by_step(x_train, y_train, batch_size, seed,
                                           first_epoch * period, last_epoch * period)
    schedule = learning_rate if isinstance(learning_rate, LearningRateSchedule) else None
    callbacks = training_callbacks(history, config, folder, schedule, stateful)
    if config["execution"]["tensorboard"]:  # before the checkpoint, which must come last
        callbacks.insert(-1, tensorboard_callback(folder, config, history))
    try:
        model.fit(
            batches, steps_per_epoch=period, initial_epoch=first_epoch, epochs=last_epoch,
            shuffle=False,  # training_batches orders every epoch itself
            validation_data=validation, verbose=verbose, callbacks=callbacks,
            validation_batch_size=batch_size if replicas > 1 else None,
        )
        finish(history, model, early_stop, arrays, batch_size, replicas)
        if config["execution"]["tensorboard"]:
            write_test_scores(folder, history)
    except Exception:
        history["status"] = "failed"
        raise
    except BaseException:  # Ctrl-C, or SIGTERM turned into an exception by the driver
        history["status"] = "interrupted"
        raise
    finally:
        write_history(folder / FILENAME, history)
    return history


def evaluation_period(execution: dict, steps: int) -> tuple[int, int]:
    """(steps between evaluations, evaluations in the run).

    Once an epoch (`steps` steps) by default; with `eval_every_steps` P, every P
    steps, and the budget of `epochs` * `steps` steps is rounded up to whole periods.
    """
    period = execution.get("eval_every_steps") or steps
    return period, -(-execution["epochs"] * steps // period)


def start_or_continue(config: dict, folder: Path, previous: dict | None, model, stateful: list,
                      environment: dict, sizes: dict) -> tuple[int, dict]:
    """(first epoch, history): restored from the run's latest checkpoint, or a fresh start."""
    checkpoint = latest_checkpoint(folder) if previous else None
    if checkpoint:
        first_epoch = restore_checkpoint(model, checkpoint[1], stateful)
        history = truncated(previous, first_epoch)
        print(f"resuming after epoch {first_epoch}")
    else:
        remove_checkpoints(folder)
        first_epoch, history = 0, new_history(config, environment)
    history["environment"] = environment
    history["data"] = sizes
    folder.mkdir(parents=True, exist_ok=True)
    write_history(folder / FILENAME, history)
    return first_epoch, history


def finish(history: dict, model, early_stop, arrays: dict, batch_size: int,
           replicas: int = 1) -> None:
    """The status of a run whose `fit` returned, and the test scores unless it diverged
    (across `replicas` by `distribute.test_scores`: the last batch need not split)."""
    if early_stop:
        history["early_stopping"] = early_stop.summary()
    if history["status"] != "running":  # diverged
        return
    history["status"] = "early_stopped" if early_stop and early_stop.stopped else "completed"
    with evaluated_at_averaged_weights(model):  # Schedule-Free's x; others as they are
        if replicas > 1:
            scores = distribute.test_scores(model, arrays["x_test"], arrays["y_test"],
                                            batch_size)
        else:
            scores = model.evaluate(arrays["x_test"], arrays["y_test"], batch_size=batch_size,
                                    verbose=0, return_dict=True)
    history["test"] = {key: float(value) for key, value in scores.items()}
