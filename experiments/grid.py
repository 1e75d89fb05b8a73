"""The runs of an experiment: the cartesian product of its grid axes, and their names.

Axes: optimizers, then each optimizer's hyperparameter grid (the learning
rates, and any hyperparameter given as a list), then batch sizes, then seeds.
Every combination runs once. A run's folder is

    <optimizer>_lr<lr>[_bs<batch>][_<name><value>...][_<hash>]_seed<seed>

with `_bs<batch>` only when the experiment has several batch sizes,
`_<name><value>` for every other hyperparameter that is a grid axis, and a
short hash telling apart any remaining hyperparameters that differ from the
optimizer's defaults (an experiment without grids keeps the names it always had).
A run with per-layer optimizers has `_map-<group optimizers>` after the batch
size (`adam_lr0.001_map-sgd-adam_<hash>_seed0`), the hash covering the whole map.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math

import optimizers
from analysis.run_config import MAP_KEY
from experiments.config import ConfigError, ExperimentConfig
from optimizers import groups as optimizer_groups


class Axis(tuple):
    """The values of one hyperparameter axis (a plain list or tuple is a value)."""


# Base-class arguments that every optimizer accepts besides its own hyperparameters.
COMMON_OPTIMIZER_ARGUMENTS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm",
                              "loss_scale_factor")
CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")
# Base arguments that must be positive numbers when given (Keras checks none of them).
POSITIVE = (*CLIPPING, "loss_scale_factor")


# Names that stand for several optimizers: "all" the seven of the mission,
# "registered" every optimizer of the registry (optimizers/records.py).
OPTIMIZER_GROUPS = {"all": optimizers.MISSION, "registered": optimizers.REGISTERED}


def optimizer_names(requested: tuple[str, ...]) -> list[str]:
    """Expand 'all' and 'registered' (`OPTIMIZER_GROUPS`) and drop repeats, keeping the
    order given."""
    names = []
    for name in requested:
        for expanded in OPTIMIZER_GROUPS.get(name, (name,)):
            if expanded not in optimizers.REGISTERED:
                raise ConfigError(
                    f"unknown optimizer {expanded!r}; choose from: "
                    f"{', '.join(optimizers.REGISTERED)}, all (the seven of the mission) "
                    "or registered (every one)"
                )
            if expanded not in names:
                names.append(expanded)
    return names


def chosen_hyperparameters(config: ExperimentConfig) -> dict:
    """The hyperparameters set by flags or YAML, learning rate first; an Axis for each grid
    axis, any other value (a list or a mapping too) as it is."""
    chosen = dict(config.optimizer_config)
    chosen.update({key: Axis(_unique(values)) for key, values in config.grid.items()})
    if config.learning_rate is not None:
        chosen.pop("learning_rate", None)
        chosen = {"learning_rate": Axis(_unique(config.learning_rate)), **chosen}
    known = {*all_hyperparameter_names(), MAP_KEY}
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise ConfigError(
            f"unknown optimizer hyperparameter {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    return chosen


def _unique(values) -> list:
    """`values` without repeats, in order (values may be lists or mappings)."""
    seen, unique = set(), []
    for value in values:
        text = json.dumps(value, sort_keys=True)
        if text not in seen:
            seen.add(text)
            unique.append(value)
    return unique


def hyperparameter_grid(name: str, chosen: dict) -> list[dict]:
    """Optimizer `name`'s resolved hyperparameters at every point of its grid.

    Each optimizer takes the chosen hyperparameters it has (and the common
    base arguments); its own defaults fill in the rest.
    """
    own = optimizers.hyperparameters(name)
    accepted = {key: value for key, value in chosen.items()
                if key in own or key in COMMON_OPTIMIZER_ARGUMENTS or key == MAP_KEY}
    axes = {key: value for key, value in accepted.items() if isinstance(value, Axis)}
    points = []
    for values in itertools.product(*axes.values()):
        setting = {**accepted, **dict(zip(axes, values, strict=True))}
        groups = setting.pop(MAP_KEY, None)
        check_positive(setting)
        optimizers.get(name, **setting)  # raises ValueError naming a bad value
        if groups is not None:  # per-layer optimizers
            setting[MAP_KEY] = resolved_map(groups)
        points.append({**own, **setting})
    return points


def resolved_map(groups) -> dict:
    """An optimizer map with every group's hyperparameters (`optimizers.groups.resolve`),
    each checked as the default group's are; ValueError or ConfigError naming the group."""
    resolved = optimizer_groups.resolve(groups)
    for pattern, group in resolved.items():
        try:
            check_positive(group)
        except ConfigError as error:
            raise ConfigError(f"optimizer map group {pattern!r}: {error}") from None
    return resolved


def check_positive(setting: dict) -> None:
    """Keras ignores a clipping bound <= 0 without a word, and multiplies the loss by any
    `loss_scale_factor` (0 gives NaN, a string a TypeError deep in training); refuse them."""
    for key in POSITIVE:
        value = setting.get(key)
        if value is None:
            continue
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value) or not value > 0):
            raise ConfigError(f"--{key} must be a number > 0, got {value!r}")


def all_hyperparameter_names() -> set[str]:
    """Every hyperparameter some registered optimizer accepts."""
    names = set(COMMON_OPTIMIZER_ARGUMENTS)
    for name in optimizers.OPTIMIZERS:
        names.update(optimizers.hyperparameters(name))
    return names


def grid_axes(chosen: dict) -> list[str]:
    """The hyperparameters other than the learning rate that take several values."""
    return [key for key, value in chosen.items()
            if key != "learning_rate" and isinstance(value, Axis) and len(value) > 1]


def run_folder_name(optimizer: str, hyperparameters: dict, seed: int, batch_size=None,
                    axes=()) -> str:
    """The folder of one run (see the module docstring); `batch_size` None leaves it out."""
    defaults = optimizers.hyperparameters(optimizer)
    name = f"{optimizer}_lr{hyperparameters['learning_rate']:g}"
    if batch_size is not None:
        name += f"_bs{batch_size}"
    if hyperparameters.get(MAP_KEY):  # the groups' optimizers; the hash below tells maps apart
        name += "_map-" + "-".join(group["name"] for group in hyperparameters[MAP_KEY].values())
    for key in axes:
        if key in hyperparameters and key != MAP_KEY:
            name += f"_{key}{_text(hyperparameters[key])}"
    changed = {key: value for key, value in hyperparameters.items()
               if key != "learning_rate" and (key not in axes or key == MAP_KEY)
               and defaults.get(key) != value}
    if changed:
        digest = hashlib.sha1(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:6]
        name += f"_{digest}"
    return f"{name}_seed{seed}"


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
