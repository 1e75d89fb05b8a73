"""The experiment configuration: one typed dataclass, filled from defaults, YAML, then flags.

Pure Python (plus PyYAML): importing this module must stay cheap, because
`train_model.py --help` and every bad-input error are answered from it before
TensorFlow is imported. Names of optimizers, models and initialisers are
checked by their own registries later; here only types and ranges are.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

import yaml

from analysis import run_config
from experiments import checks, sections
from optimizers import groups as optimizer_groups

DEVICES = ("auto", "cpu", "gpu")
JIT_CHOICES = ("auto", "on", "off")
DISTRIBUTE_CHOICES = ("none", "mirrored", "multi_worker")  # training/distribute.py's MODES
SCALE_LR_CHOICES = ("none", "linear", "sqrt")
# Learning-rate schedules by name; training/schedules.py builds them.
SCHEDULES = ("constant", "step", "exponential", "inverse_time", "cosine", "plateau")
# The nested spelling of the schedule keys, as a run's history records them.
SCHEDULE_KEYS = run_config.SCHEDULE_FLAGS


class ConfigError(ValueError):
    """A configuration value, file or flag that is not allowed; the message is one line."""


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything one invocation of train_model.py runs: one data set, a grid of runs.

    The grid axes are tuples: optimizer, learning_rate, batch_size, seed, and
    `grid`, the other hyperparameters that take several values ({name: tuple});
    every combination runs once. A value of `optimizer_config` is one value,
    even a list or a mapping.
    """

    dataset: str = "mnist"
    model: str | None = None  # None: the data set's default model
    optimizer: tuple[str, ...] = ("adam",)  # names, or ("all",) for the seven of the mission
    seed: tuple[int, ...] = (0,)
    epochs: int = 50
    batch_size: tuple = (64,)  # positive integers, or "full": the whole training set per step
    learning_rate: tuple[float, ...] | None = None  # None: each optimizer's own default
    optimizer_config: dict = field(default_factory=dict)  # further hyperparameters
    grid: dict = field(default_factory=dict)  # hyperparameter axes: name -> tuple of values
    lr_schedule: str = "constant"
    lr_decay_rate: float | None = None  # None: 0.5 where the schedule has a rate
    lr_decay_epochs: int | None = None  # None: 1, or the rest of the run for cosine
    lr_patience: int | None = None  # plateau only; None: 5
    warmup_epochs: int = 0  # linear warmup from 0, then the schedule
    l2: float = 0.0  # penalty l2 * sum(kernel ** 2) added to the loss
    dropout: float | None = None  # None: the model's own rates; else every dropout layer's
    batch_norm: bool = True  # False removes the models' batch normalisation layers
    early_stopping: int | None = None  # patience in epochs on val_loss; best weights restored
    target: float | None = None  # validation accuracy whose first epoch is recorded
    subset: int | None = None
    validation_split: float = 0.1
    init: str = "he"
    data_dir: str | None = None
    output_dir: str = "results"
    experiment: str | None = None  # None: <dataset>_<model>_<timestamp>
    device: str = "auto"
    quiet: bool = False
    divergence_threshold: float | None = None  # a loss above it ends a run as diverged
    resume: bool = False  # continue the unfinished runs of an existing experiment
    keep_checkpoints: bool = False  # keep each run's last checkpoint once it has finished
    tensorboard: bool = False  # also write TensorBoard logs beside each run's history
    workers: int = 1  # runs trained at once by local worker processes (experiments.workers)
    threads_per_run: int | None = None  # TensorFlow CPU threads per run; None: cores / workers
    ray: str | None = None  # Ray cluster address (or "auto") to run the runs on
    mixed_precision: bool = False  # mixed_float16 on a GPU, mixed_bfloat16 on a CPU
    jit_compile: str = "auto"  # XLA: auto (on a GPU only), on, off
    distribute: str = "none"  # one run across devices: none, mirrored, multi_worker
    replicas: int | None = None  # mirrored: devices (GPUs, or logical CPUs); None: default
    scale_lr: str = "none"  # learning rate times replicas (linear) or their root (sqrt)


FIELDS = {item.name for item in dataclasses.fields(ExperimentConfig)}
# The flag (and flat-file key) of per-layer optimizers; it sets optimizer_config["map"].
MAP_FLAG = "optimizer_map"


def _schedule(value) -> str | None:
    return None if value in SCHEDULES else f"must be one of {', '.join(SCHEDULES)}"


def _device(value) -> str | None:
    return None if value in DEVICES else f"must be one of {', '.join(DEVICES)}"


CHECKS = {
    "dataset": checks.name,
    "model": checks.optional(checks.name),
    "optimizer": checks.names,
    "seed": checks.seeds,
    "epochs": checks.positive_int,
    "batch_size": checks.batch_size,  # each item (see GRID_FIELDS)
    "learning_rate": checks.positive_number,  # each item (see GRID_FIELDS)
    "optimizer_config": checks.hyperparameters,
    "grid": checks.axes,
    "lr_schedule": _schedule,
    "lr_decay_rate": checks.optional(checks.positive_number),
    "lr_decay_epochs": checks.optional(checks.positive_int),
    "lr_patience": checks.optional(checks.positive_int),
    "warmup_epochs": checks.non_negative_int,
    "l2": checks.non_negative_number,
    "dropout": checks.optional(checks.rate),
    "batch_norm": checks.boolean,
    "early_stopping": checks.optional(checks.positive_int),
    "target": checks.optional(checks.accuracy),
    "subset": checks.optional(checks.positive_int),
    "validation_split": checks.fraction,
    "init": checks.name,
    "data_dir": checks.optional(checks.name),
    "output_dir": checks.name,
    "experiment": checks.optional(checks.folder_name),
    "device": _device,
    "quiet": checks.boolean,
    "divergence_threshold": checks.optional(checks.positive_number),
    "resume": checks.boolean,
    "keep_checkpoints": checks.boolean,
    "tensorboard": checks.boolean,
    "workers": checks.positive_int,
    "threads_per_run": checks.optional(checks.positive_int),
    "ray": checks.optional(checks.name),
    "mixed_precision": checks.boolean,
    "jit_compile": lambda value: None if value in JIT_CHOICES else "must be auto, on or off",
    "distribute": checks.one_of(DISTRIBUTE_CHOICES),
    "replicas": checks.optional(checks.positive_int),
    "scale_lr": checks.one_of(SCALE_LR_CHOICES),
}
assert set(CHECKS) == FIELDS, "every config field needs exactly one check"
# Fields that take one value or a list of them; CHECKS checks each item.
GRID_FIELDS = ("learning_rate", "batch_size")
FLOAT_FIELDS = ("validation_split", "divergence_threshold", "lr_decay_rate", "l2", "dropout",
                "target")


def _normalise(key: str, value):
    """Accept the scalar spellings of list fields (`seed: 0`, `optimizer: adam`)."""
    if key == "optimizer" and isinstance(value, str):
        return tuple(part.strip() for part in value.split(","))
    if key == "seed" and checks.is_int(value):
        return (value,)
    if key in ("optimizer", "seed") and isinstance(value, list):
        return tuple(value)
    if key in FLOAT_FIELDS and checks.is_int(value):
        return float(value)
    return value


def _grid_items(key: str, value, where) -> tuple | None:
    """One value or a list of them, each checked, repeats dropped: a grid axis."""
    if value is None and key == "learning_rate":
        return None
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise ConfigError(f"{where(key)} must be a value or a non-empty list of them, got []")
    if key == "learning_rate":
        items = [float(item) if checks.is_int(item) else item for item in items]
    for item in items:
        problem = CHECKS[key](item)
        if problem:
            raise ConfigError(f"{where(key)} {problem}, got {item!r}")
    return tuple(dict.fromkeys(items))


def parse_lr_sweep(text) -> tuple[float, ...]:
    """`LOW:HIGH:N` -> N learning rates spaced evenly in log scale, both ends included.

    Values are rounded to 4 significant digits so that folder names and labels
    stay readable (1e-4:1e-1:3 gives 0.0001, 0.003162, 0.1).
    """
    rule = "must be LOW:HIGH:N with 0 < LOW < HIGH and N >= 2 (e.g. 1e-4:1e-1:4)"
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) != 3:
        raise ValueError(rule)
    try:
        low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(rule) from None
    if count < 2 or not 0 < low < high < math.inf:
        raise ValueError(rule)
    ratio = math.log(high / low)
    rates = [low * math.exp(ratio * index / (count - 1)) for index in range(count)]
    return tuple(float(f"{rate:.4g}") for rate in [low, *rates[1:-1], high])


def _expand_lr_sweep(values: dict, where) -> dict:
    """The `lr_sweep` key becomes the learning_rate axis it spells."""
    if "lr_sweep" not in values:
        return values
    values = dict(values)
    spec = values.pop("lr_sweep")
    if "learning_rate" in values:
        raise ConfigError(f"{where('lr_sweep')} cannot be combined with learning_rate")
    try:
        values["learning_rate"] = parse_lr_sweep(spec)
    except ValueError as error:
        raise ConfigError(f"{where('lr_sweep')} {error}, got {spec!r}") from None
    return values


def _expand_schedule(values: dict, where) -> dict:
    """The nested spelling `lr_schedule: {name: step, decay_rate: 0.5}` as flat keys."""
    nested = values.get("lr_schedule")
    if not isinstance(nested, dict):
        return values
    values = {key: value for key, value in values.items() if key != "lr_schedule"}
    for key, value in nested.items():
        if key not in SCHEDULE_KEYS:
            raise ConfigError(f"{where('lr_schedule')}: unknown key {key!r}; valid keys: "
                              f"{', '.join(SCHEDULE_KEYS)}")
        if SCHEDULE_KEYS[key] in values:
            raise ConfigError(f"{where(SCHEDULE_KEYS[key])} is given twice")
        values[SCHEDULE_KEYS[key]] = value
    return values


def normalised_map(value, where):
    """An optimizer map (`optimizers.groups`) in either spelling, normalised, or None (no
    map: in a grid axis, the runs without one); ConfigError."""
    if value is None:
        return None
    try:
        return optimizer_groups.normalise(value)
    except ValueError as error:
        raise ConfigError(f"{where} {error}") from None


def _with_map(checked: dict, hyperparameters: dict, axes: dict, where) -> dict:
    """`checked` with the optimizer map among `hyperparameters` (one value) or `axes` (a
    grid axis of maps) normalised; `where(key)` names the key's origin."""
    if run_config.MAP_KEY in hyperparameters:
        hyperparameters[run_config.MAP_KEY] = normalised_map(
            hyperparameters[run_config.MAP_KEY], where(run_config.MAP_KEY))
        if hyperparameters[run_config.MAP_KEY] is None:  # `map: null`: none
            del hyperparameters[run_config.MAP_KEY]
    if run_config.MAP_KEY in axes:
        axes[run_config.MAP_KEY] = tuple(normalised_map(item, where(run_config.MAP_KEY))
                                         for item in axes[run_config.MAP_KEY])
    return {**checked, "optimizer_config": hyperparameters, "grid": axes}


def shown(value) -> str:
    """`value` as the user wrote it: a comma list for a list (`-1`, `adam,`), else repr."""
    if isinstance(value, (list, tuple)):
        return repr(",".join(str(item) for item in value))
    return repr(value)


def _lift_learning_rate(values: dict, where) -> dict:
    """`optimizer_config: {learning_rate: ...}` (a flat file's spelling) checked and gridded
    exactly as a top-level `learning_rate`."""
    nested = values.get("optimizer_config")
    if not isinstance(nested, dict) or "learning_rate" not in nested:
        return values
    if "learning_rate" in values:
        raise ConfigError(f"{where('learning_rate')} is given twice: as learning_rate and "
                          "in optimizer_config; keep one")
    rest = {key: value for key, value in nested.items() if key != "learning_rate"}
    return {**values, "optimizer_config": rest, "learning_rate": nested["learning_rate"]}


def check_values(values: dict, where) -> dict:
    """Normalise and check `values`; `where(key)` names the key's origin in error messages.

    `optimizer_map` (a flag, or a key of a flat file) becomes `optimizer_config["map"]`.
    """
    values = _expand_schedule(_expand_lr_sweep(_lift_learning_rate(values, where), where), where)
    optimizer_map = values.pop(MAP_FLAG, None)
    checked = {}
    for key, value in values.items():
        if key not in FIELDS:
            valid = ", ".join(sorted([*FIELDS, "lr_sweep", MAP_FLAG]))
            raise ConfigError(f"{where(key)}: unknown key; valid keys: {valid}")
        if key in GRID_FIELDS:
            checked[key] = _grid_items(key, value, where)
            continue
        value = _normalise(key, value)
        problem = CHECKS[key](value)
        if problem:
            raise ConfigError(f"{where(key)} {problem}, got {shown(value)}")
        checked[key] = value
        if key == "optimizer_config":  # the flat spelling: a list of values is a grid axis
            axes = {name: tuple(item) for name, item in value.items()
                    if isinstance(item, (list, tuple))}
            checked[key] = {name: item for name, item in value.items() if name not in axes}
            if axes:
                checked["grid"] = {**checked.get("grid", {}), **axes}
    if optimizer_map is not None:
        checked["optimizer_config"] = {**checked.get("optimizer_config", {}),
                                       run_config.MAP_KEY: normalised_map(optimizer_map,
                                                                          where(MAP_FLAG))}
    return checked


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading `1e-3` as a number (YAML 1.1 wants `1.0e-3`)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def load_yaml(path: str) -> dict:
    """Read a YAML experiment file into checked config values; errors name the file and key."""
    try:
        with open(path, encoding="utf-8") as stream:
            values = yaml.load(stream, Loader=_Loader)
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{place}") from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys, got {type(values).__name__}")
    if sections.is_sectioned(values):
        return sectioned_values(values, path)
    return check_values(values, lambda key: f"{path}: key {key!r}")


def sectioned_values(values: dict, path: str) -> dict:
    """Checked config values of a sectioned file (`experiments.sections`)."""
    def fail(message: str):
        raise ConfigError(f"{path}: {message}")

    flat, hyperparameters, axes = sections.flatten(values, fail)
    checked = check_values(flat, lambda key: f"{path}: key {sections.dotted(key)!r}")
    return _with_map(checked, hyperparameters, axes, lambda key: f"{path}: optimizer.{key}")


def values_from_run(run_config: dict, source: str) -> dict:
    """Checked config values that repeat the run whose (sectioned) history "config" is
    `run_config`: its hyperparameters are values here, never grid axes."""
    values = sections.run_values(run_config)
    hyperparameters = values.pop("optimizer_config", {})
    checked = check_values(values, lambda key: f"{source}: config key {key!r}")
    checked = _with_map(checked, hyperparameters, {}, lambda key: f"{source}: optimizer.{key}")
    return {key: value for key, value in checked.items() if key != "grid"}


def resolve(file_values: dict, flag_values: dict) -> ExperimentConfig:
    """Defaults, overridden by a config file's values, overridden by flags."""
    merged = {**file_values, **flag_values}
    hyperparameters = {
        **file_values.get("optimizer_config", {}),
        **flag_values.get("optimizer_config", {}),
    }
    merged["optimizer_config"] = hyperparameters
    # A hyperparameter given as one value by a flag replaces the file's axis of it.
    merged["grid"] = {key: values for key, values in file_values.get("grid", {}).items()
                      if key not in flag_values.get("optimizer_config", {})}
    return ExperimentConfig(**merged)


def parse_scalar(text: str):
    """A flag's value as bool, int, float or string (`true`, `3`, `1e-3`, `sgd`)."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text
