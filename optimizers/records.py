"""One record per optimizer: every fact about it that is not its update rule.

The registry (`optimizers.OPTIMIZERS`, `get`), the figures' colours and
markers (plotting/style.py), the landscape's learning rates
(plotting/landscape.py), the overhead benchmark and the tests' parametrization
all read these records; none keeps its own per-optimizer table. Adding an
optimizer is one module in this package plus one `Record` in `RECORDS`.

This module is pure data and imports neither Keras nor TensorFlow, so that
plotting can read it without them. The class is named by module and class
name and imported only when asked for (`optimizers.OPTIMIZERS`, `load_class`).
What the class itself says is not repeated here: hyperparameter names and
defaults come from its `__init__` signature (`optimizers.hyperparameters`).

Fields of a `Record`:

    name              registry name: the command line's `--optimizer` value and the
                      class's default `name=` (so saved state and logs read the same)
    module, class_name  where the class lives ("optimizers.adam", "Adam")
    keras_builtin     the `keras.optimizers` class with the same algorithm ("SGD"),
                      or None where Keras has none
    keras_arguments   arguments that make the built-in equal ours at our defaults
                      ({"momentum": 0.9} for momentum = keras SGD(momentum=0.9))
    takes_schedule    whether `learning_rate` may be a `LearningRateSchedule`
    mission           one of the seven of `train_model.py --optimizer all`
    color, marker     Matplotlib colour and marker in every figure
    landscape_learning_rates  the default rate per 2-D test function of
                      plotting/landscape.py (its `FUNCTIONS` keys)
    search_space      tuning ranges, AlgoPerf style: hyperparameter name ->
                      {"low": float, "high": float, "scale": "log" | "linear"},
                      both ends included and accepted by the class
    convergence       per test problem ("quadratic", "rosenbrock"): hyperparameters
                      and "steps" that reach the minimum within 0.01 in float64;
                      an optional "halving_steps" halves the learning rate that
                      often (ExponentialDecay); read by tests/optimizers
"""

from __future__ import annotations

import importlib
from dataclasses import KW_ONLY, dataclass, field


@dataclass(frozen=True)
class Record:
    """The facts about one optimizer; see the module docstring for each field.

    The first four (or five) fields may be given by position, the rest by name.
    """

    name: str
    module: str
    class_name: str
    keras_builtin: str | None
    keras_arguments: dict = field(default_factory=dict)
    _: KW_ONLY
    color: str
    marker: str
    landscape_learning_rates: dict
    search_space: dict
    convergence: dict
    takes_schedule: bool = True
    mission: bool = False


def _log(low, high):
    return {"low": low, "high": high, "scale": "log"}


def _linear(low, high):
    return {"low": low, "high": high, "scale": "linear"}


def _landscape(rosenbrock, beale, quadratic, saddle):
    return {"rosenbrock": rosenbrock, "beale": beale, "quadratic": quadratic, "saddle": saddle}


# Ranges people tune (AlgoPerf's baselines, the papers' sweeps): the learning rate
# log-uniform over four or more decades, decay rates linear below 1, epsilon and
# weight decay log-uniform.
_WEIGHT_DECAY = _log(1e-6, 1e-2)
_EPSILON = _log(1e-10, 1e-3)
_MOMENTUM_SPACE = {
    "learning_rate": _log(1e-4, 1.0),
    "momentum": _linear(0.5, 0.99),
    "weight_decay": _WEIGHT_DECAY,
}
_ADAM_SPACE = {
    "learning_rate": _log(1e-5, 1e-1),
    "beta_1": _linear(0.8, 0.99),
    "beta_2": _linear(0.9, 0.9999),
    "epsilon": _EPSILON,
}
# Adam's rates on the 2-D functions; AdamW and Nadam step alike there.
_ADAM_LANDSCAPE = _landscape(0.05, 0.05, 0.1, 0.03)
_ADAM_CONVERGENCE = {
    "quadratic": {"learning_rate": 0.05, "steps": 1000},
    "rosenbrock": {"learning_rate": 0.02, "steps": 10000},
}
# Curvature reaches ~1000 near Rosenbrock's minimum: momentum needs a small rate.
_MOMENTUM_CONVERGENCE = {
    "quadratic": {"learning_rate": 0.02, "steps": 1000},
    "rosenbrock": {"learning_rate": 0.0005, "steps": 10000},
}

RECORDS: tuple[Record, ...] = (
    Record(
        "sgd", "optimizers.sgd", "SGD", "SGD", mission=True,
        color="tab:blue", marker="o",
        landscape_learning_rates=_landscape(1e-3, 1e-3, 0.09, 0.05),
        search_space={"learning_rate": _log(1e-4, 1.0), "weight_decay": _WEIGHT_DECAY},
        # Plain SGD is stable on Rosenbrock only below 2 / 1000.
        convergence={
            "quadratic": {"learning_rate": 0.1, "steps": 1000},
            "rosenbrock": {"learning_rate": 0.0019, "steps": 10000},
        },
    ),
    Record(
        "momentum", "optimizers.momentum", "Momentum", "SGD", {"momentum": 0.9}, mission=True,
        color="tab:orange", marker="s",
        landscape_learning_rates=_landscape(1e-3, 1e-3, 0.02, 0.01),
        search_space=_MOMENTUM_SPACE, convergence=_MOMENTUM_CONVERGENCE,
    ),
    Record(
        "nesterov", "optimizers.momentum", "Nesterov", "SGD",
        {"momentum": 0.9, "nesterov": True},
        color="tab:olive", marker="v",
        landscape_learning_rates=_landscape(1e-3, 1e-3, 0.02, 0.01),
        search_space=_MOMENTUM_SPACE, convergence=_MOMENTUM_CONVERGENCE,
    ),
    Record(
        "adagrad", "optimizers.adagrad", "AdaGrad", "Adagrad", mission=True,
        color="tab:green", marker="^",
        landscape_learning_rates=_landscape(0.5, 0.5, 1.0, 0.3),
        search_space={
            "learning_rate": _log(1e-4, 1.0),
            "initial_accumulator_value": _log(1e-3, 1.0),
            "epsilon": _EPSILON,
            "weight_decay": _WEIGHT_DECAY,
        },
        convergence={
            "quadratic": {"learning_rate": 0.5, "steps": 1000},
            "rosenbrock": {"learning_rate": 0.5, "steps": 10000},
        },
    ),
    Record(
        "adadelta", "optimizers.adadelta", "AdaDelta", "Adadelta",
        color="tab:cyan", marker="<",
        # Its steps start near sqrt(epsilon): it needs rates far above the others'.
        landscape_learning_rates=_landscape(3.0, 10.0, 20.0, 10.0),
        search_space={
            "learning_rate": _log(1e-3, 10.0),
            "rho": _linear(0.8, 0.999),
            "epsilon": _log(1e-8, 1e-4),
            "weight_decay": _WEIGHT_DECAY,
        },
        # It hovers short of Rosenbrock's minimum at a constant rate; halving settles it.
        convergence={
            "quadratic": {"learning_rate": 1.0, "epsilon": 1e-6, "rho": 0.999, "steps": 2000},
            "rosenbrock": {
                "learning_rate": 1.0, "epsilon": 1e-6, "rho": 0.99,
                "halving_steps": 2000, "steps": 20000,
            },
        },
    ),
    Record(
        "rmsprop", "optimizers.rmsprop", "RMSProp", "RMSprop", mission=True,
        color="tab:red", marker="D",
        landscape_learning_rates=_landscape(0.01, 0.01, 0.05, 0.01),
        search_space={
            "learning_rate": _log(1e-5, 1e-1),
            "rho": _linear(0.8, 0.999),
            "momentum": _linear(0.0, 0.99),
            "epsilon": _EPSILON,
            "weight_decay": _WEIGHT_DECAY,
        },
        # Its steps stay near learning_rate in size: it circles the minimum at that scale.
        convergence={
            "quadratic": {"learning_rate": 0.003, "steps": 2000},
            "rosenbrock": {"learning_rate": 0.0005, "steps": 10000},
        },
    ),
    Record(
        "adam", "optimizers.adam", "Adam", "Adam", mission=True,
        color="tab:purple", marker="P",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={**_ADAM_SPACE, "weight_decay": _WEIGHT_DECAY},
        convergence=_ADAM_CONVERGENCE,
    ),
    Record(
        "adamw", "optimizers.adamw", "AdamW", "AdamW", mission=True,
        color="tab:brown", marker="*",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={**_ADAM_SPACE, "weight_decay": _log(1e-5, 1e-1)},
        convergence={
            "quadratic": {"learning_rate": 0.05, "weight_decay": 0.01, "steps": 1000},
            "rosenbrock": {"learning_rate": 0.02, "weight_decay": 0.0, "steps": 10000},
        },
    ),
    Record(
        "nadam", "optimizers.nadam", "Nadam", "Nadam", mission=True,
        color="tab:pink", marker="h",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={**_ADAM_SPACE, "weight_decay": _WEIGHT_DECAY},
        convergence=_ADAM_CONVERGENCE,
    ),
    Record(
        "adamax", "optimizers.adamax", "Adamax", "Adamax",
        color="navy", marker=">",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={**_ADAM_SPACE, "weight_decay": _WEIGHT_DECAY},
        convergence=_ADAM_CONVERGENCE,
    ),
    Record(
        "ftrl", "optimizers.ftrl", "Ftrl", "Ftrl",
        color="goldenrod", marker="d",
        landscape_learning_rates=_landscape(0.5, 0.5, 1.0, 0.3),
        search_space={
            "learning_rate": _log(1e-4, 1.0),
            "initial_accumulator_value": _log(1e-3, 1.0),
            "l1_regularization_strength": _log(1e-6, 1e-2),
            "l2_regularization_strength": _log(1e-6, 1e-2),
        },
        # Its initial accumulator pulls towards zero (see Ftrl); zero makes it Adagrad.
        convergence={
            "quadratic": {"learning_rate": 0.5, "initial_accumulator_value": 0.0, "steps": 1000},
            "rosenbrock": {
                "learning_rate": 0.5, "initial_accumulator_value": 0.0, "steps": 10000,
            },
        },
    ),
    Record(
        "lion", "optimizers.lion", "Lion", "Lion",
        color="black", marker="X",
        # Every coordinate moves by the rate: a tenth of Adam's.
        landscape_learning_rates=_landscape(0.005, 0.005, 0.01, 0.003),
        search_space={
            "learning_rate": _log(1e-6, 1e-2),
            "beta_1": _linear(0.8, 0.99),
            "beta_2": _linear(0.9, 0.999),
            "weight_decay": _log(1e-5, 1.0),
        },
        # Fixed-size steps circle the minimum at the rate's scale; halving settles them.
        convergence={
            "quadratic": {"learning_rate": 0.02, "halving_steps": 200, "steps": 2000},
            "rosenbrock": {"learning_rate": 0.01, "halving_steps": 2000, "steps": 20000},
        },
    ),
    Record(
        "lamb", "optimizers.lamb", "Lamb", "Lamb",
        color="teal", marker="H",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={
            "learning_rate": _log(1e-4, 1.0),
            "beta_1": _linear(0.8, 0.99),
            "beta_2": _linear(0.9, 0.9999),
            "epsilon": _EPSILON,
            "weight_decay": _WEIGHT_DECAY,
        },
        # Steps scale with the variable's norm: halving settles it off the origin.
        convergence={
            "quadratic": {"learning_rate": 0.05, "steps": 1000},
            "rosenbrock": {"learning_rate": 0.02, "halving_steps": 2000, "steps": 20000},
        },
    ),
    Record(
        "adafactor", "optimizers.adafactor", "Adafactor", "Adafactor",
        color="slategray", marker="8",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={
            "learning_rate": _log(1e-4, 1.0),
            "beta_2_decay": _linear(-1.0, -0.5),
            "epsilon_2": _log(1e-5, 1e-1),
            "clip_threshold": _log(0.1, 10.0),
            "weight_decay": _WEIGHT_DECAY,
        },
        convergence={
            "quadratic": {"learning_rate": 0.05, "steps": 1000},
            "rosenbrock": {"learning_rate": 0.02, "halving_steps": 2000, "steps": 20000},
        },
    ),
    Record(
        "muon", "optimizers.muon", "Muon", "Muon",
        color="crimson", marker="+",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={
            "learning_rate": _log(1e-5, 1e-1),
            "momentum": _linear(0.8, 0.99),
            "weight_decay": _log(1e-5, 1e-1),
            "adam_weight_decay": _log(1e-5, 1e-1),
        },
        # The test problems are vectors: Muon hands them to its AdamW.
        convergence={
            "quadratic": {"learning_rate": 0.05, "adam_weight_decay": 0.0, "steps": 1000},
            "rosenbrock": {"learning_rate": 0.02, "adam_weight_decay": 0.0, "steps": 10000},
        },
    ),
    Record(
        # Keras's own class computes another rule on TensorFlow (see ScheduleFreeAdamW).
        "schedule_free_adamw", "optimizers.schedule_free_adamw", "ScheduleFreeAdamW", None,
        color="limegreen", marker="1",
        landscape_learning_rates=_ADAM_LANDSCAPE,
        search_space={
            "learning_rate": _log(1e-5, 1e-1),
            "beta_1": _linear(0.8, 0.99),
            "beta_2": _linear(0.9, 0.9999),
            "epsilon": _EPSILON,
            "weight_decay": _WEIGHT_DECAY,
        },
        convergence={
            "quadratic": {"learning_rate": 0.05, "steps": 1000},
            "rosenbrock": {"learning_rate": 0.02, "steps": 10000},
        },
    ),
)  # fmt: skip

BY_NAME: dict[str, Record] = {record.name: record for record in RECORDS}
# Every registered optimizer, in registry order (simplest first).
REGISTERED: tuple[str, ...] = tuple(BY_NAME)
# The seven optimizers run by `train_model.py --optimizer all`.
MISSION: tuple[str, ...] = tuple(record.name for record in RECORDS if record.mission)


def record(name: str) -> Record:
    """The record of registry name `name`; `ValueError` naming the valid names otherwise."""
    if not isinstance(name, str) or name not in BY_NAME:
        raise ValueError(f"unknown optimizer {name!r}; choose from: {', '.join(REGISTERED)}")
    return BY_NAME[name]


def load_class(entry: Record) -> type:
    """The optimizer class `entry` names, imported now (this imports Keras)."""
    return getattr(importlib.import_module(entry.module), entry.class_name)


def registered_name(cls: type) -> str | None:
    """The registry name of class `cls` (exactly that class, not a subclass), or None."""
    for entry in RECORDS:
        if (entry.module, entry.class_name) == (cls.__module__, cls.__qualname__):
            return entry.name
    return None
