"""The experiment configuration: one typed dataclass, filled from defaults, YAML, then flags.

Pure Python (plus PyYAML): importing this module must stay cheap, because
`train_model.py --help` and every bad-input error are answered from it before
TensorFlow is imported. Names of optimizers, models and initialisers are
checked by their own registries later; here only types and ranges are.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import yaml

DEVICES = ("auto", "cpu", "gpu")


class ConfigError(ValueError):
    """A configuration value, file or flag that is not allowed; the message is one line."""


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything one invocation of train_model.py runs: optimizers x seeds on one data set."""

    dataset: str = "mnist"
    model: str | None = None  # None: the data set's default model
    optimizer: tuple[str, ...] = ("adam",)  # names, or ("all",) for the seven of the mission
    seed: tuple[int, ...] = (0,)
    epochs: int = 50
    batch_size: int = 64
    learning_rate: float | None = None  # None: each optimizer's own default
    optimizer_config: dict = field(default_factory=dict)  # further hyperparameters
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


FIELDS = {item.name for item in dataclasses.fields(ExperimentConfig)}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _positive_int(value) -> str | None:
    return None if _is_int(value) and value > 0 else "must be a positive integer"


def _optional(check):
    return lambda value: None if value is None else check(value)


def _name(value) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _names(value) -> str | None:
    if isinstance(value, (list, tuple)) and value and all(_name(item) is None for item in value):
        return None
    return "must be a name or a non-empty list of names"


def _seeds(value) -> str | None:
    if isinstance(value, (list, tuple)) and value and all(
        _is_int(item) and item >= 0 for item in value
    ):
        return None
    return "must be a non-negative integer or a non-empty list of them"


def _positive_number(value) -> str | None:
    return None if _is_number(value) and value > 0 else "must be a number > 0"


def _fraction(value) -> str | None:
    return None if _is_number(value) and 0 < value < 1 else "must be a number in (0, 1)"


def _hyperparameters(value) -> str | None:
    if not isinstance(value, dict):
        return "must be a mapping of hyperparameter names to values"
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, (bool, int, float, str, type(None))):
            return f"entry {key!r} must map a name to a number, boolean, string or null"
    return None


def _device(value) -> str | None:
    return None if value in DEVICES else f"must be one of {', '.join(DEVICES)}"


def _boolean(value) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


CHECKS = {
    "dataset": _name,
    "model": _optional(_name),
    "optimizer": _names,
    "seed": _seeds,
    "epochs": _positive_int,
    "batch_size": _positive_int,
    "learning_rate": _optional(_positive_number),
    "optimizer_config": _hyperparameters,
    "subset": _optional(_positive_int),
    "validation_split": _fraction,
    "init": _name,
    "data_dir": _optional(_name),
    "output_dir": _name,
    "experiment": _optional(_name),
    "device": _device,
    "quiet": _boolean,
    "divergence_threshold": _optional(_positive_number),
    "resume": _boolean,
    "keep_checkpoints": _boolean,
}
assert set(CHECKS) == FIELDS, "every config field needs exactly one check"


def _normalise(key: str, value):
    """Accept the scalar spellings of list fields (`seed: 0`, `optimizer: adam`)."""
    if key == "optimizer" and isinstance(value, str):
        return tuple(part.strip() for part in value.split(","))
    if key == "seed" and _is_int(value):
        return (value,)
    if key in ("optimizer", "seed") and isinstance(value, list):
        return tuple(value)
    if key in ("learning_rate", "validation_split", "divergence_threshold") and _is_int(value):
        return float(value)
    return value


def check_values(values: dict, where) -> dict:
    """Normalise and check `values`; `where(key)` names the key's origin in error messages."""
    checked = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise ConfigError(f"{where(key)}: unknown key; valid keys: {', '.join(sorted(FIELDS))}")
        value = _normalise(key, value)
        problem = CHECKS[key](value)
        if problem:
            raise ConfigError(f"{where(key)} {problem}, got {value!r}")
        checked[key] = value
    return checked


def load_yaml(path: str) -> dict:
    """Read a YAML experiment file into checked config values; errors name the file and key."""
    try:
        with open(path, encoding="utf-8") as stream:
            values = yaml.safe_load(stream)
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
    return check_values(values, lambda key: f"{path}: key {key!r}")


def values_from_run(run_config: dict, source: str) -> dict:
    """Checked config values that repeat the run whose history "config" is `run_config`."""
    values = {key: value for key, value in run_config.items() if key in FIELDS}
    return check_values(values, lambda key: f"{source}: config key {key!r}")


def resolve(file_values: dict, flag_values: dict) -> ExperimentConfig:
    """Defaults, overridden by a config file's values, overridden by flags."""
    merged = {**file_values, **flag_values}
    hyperparameters = {
        **file_values.get("optimizer_config", {}),
        **flag_values.get("optimizer_config", {}),
    }
    merged["optimizer_config"] = hyperparameters
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
