"""A run's per-layer optimizers: its config's `optimizer.map` made into a MultiOptimizer.

The optimizer section's own name and hyperparameters are the default group
(every variable no pattern matches). Each group of the map is built from its
resolved hyperparameters (`optimizers.groups.resolve`), and its learning rate
runs through the run's schedule as the default group's does: the same shape
(warmup, decay, cosine) from the group's own base rate, so a group at 0 stays
frozen. The plateau schedule, which changes one rate from a callback, is
refused with a map when the experiment is planned.
"""

from __future__ import annotations

import json

import keras
from keras.optimizers import OptimizerMap

import optimizers
from analysis import run_config
from optimizers import multi
from training.schedules import build_learning_rate


def with_optimizer_map(config: dict, default, model, steps_per_epoch: int):
    """`default` if the run has no map; else a `multi.MultiOptimizer` of `default` and the
    map's groups, checked against `model`'s trainable variable paths.

    Raises ValueError (one line) for a pattern matching no variable (listing the
    paths) or a variable two patterns match.
    """
    groups = run_config.optimizer_map(config)
    if not groups:
        return default
    instances = {}
    for pattern, group in groups.items():
        settings = {key: value for key, value in group.items() if key != "name"}
        settings["learning_rate"] = build_learning_rate(
            config["schedule"], settings["learning_rate"], steps_per_epoch)
        instances[pattern] = optimizers.get(group["name"], **settings)
    mapping = OptimizerMap(default, instances)
    multi.check(mapping, [variable.path for variable in model.trainable_variables])
    return multi.MultiOptimizer(mapping)


def check_optimizer_maps(specs: list[dict], build_model) -> None:
    """Build each distinct model that a run with a map trains, as the run will (fresh
    layer names, `build_model(config)`), and check the map against its variables.

    Raises ValueError as `with_optimizer_map`.
    """
    seen = set()
    for spec in specs:
        config = run_config.with_added_keys(spec["config"])
        key = json.dumps([config["problem"]["dataset"], config["model"], config["optimizer"]],
                         sort_keys=True)
        if not run_config.optimizer_map(config) or key in seen:
            continue
        seen.add(key)
        keras.backend.clear_session()  # each run starts from a fresh session: same names
        default = optimizers.get(run_config.optimizer_name(config),
                                 **run_config.hyperparameters(config))
        with_optimizer_map(config, default, build_model(config), steps_per_epoch=1)
