"""Per-layer optimizers: Keras's `MultiOptimizer` over an `OptimizerMap` of our classes.

    >>> optimizer = multi.build(optimizers.get("adam"), {"conv.*": optimizers.get("sgd")})

Each variable goes to the optimizer whose pattern matches its path (Keras's
rule: an exact key first, else the one pattern that `re.fullmatch`es it;
two matching patterns are an error), else to the default optimizer. Each
group keeps its own slots and iteration count; `MultiOptimizer.variables`
lists its own counter, then every group's variables in order, and that is
what a `.keras` file or a weights file saves and loads.

`check` asks the map about a model's variable paths before training,
so that a pattern matching nothing, or a variable matched twice, is a
one-line error naming the patterns and the paths.
"""

from __future__ import annotations

import re

import keras
from keras.optimizers import OptimizerMap


@keras.saving.register_keras_serializable(package="optimizers")
class MultiOptimizer(keras.optimizers.MultiOptimizer):
    """`keras.optimizers.MultiOptimizer` whose `learning_rate` reads the default group's.

    Keras's refuses to read any rate, since the groups may differ; a training
    history records one, so this one reports the default group's (the run's
    `--optimizer`), read only. Setting it raises AttributeError as Keras does,
    so a callback that would change the rate (ReduceLROnPlateau) fails loudly
    rather than changing one group.
    """

    @property
    def learning_rate(self):
        default = getattr(self._optimizer_map, "default_optimizer", None)
        if default is None:
            return keras.optimizers.MultiOptimizer.learning_rate.fget(self)
        return default.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        keras.optimizers.MultiOptimizer.learning_rate.fset(self, value)


def build(default, groups: dict) -> MultiOptimizer:
    """A MultiOptimizer sending variables matching each pattern of `groups` ({pattern:
    optimizer instance}) to that optimizer and the rest to `default`."""
    return MultiOptimizer(OptimizerMap(default, dict(groups)))


def check(optimizer_map: OptimizerMap, paths) -> dict:
    """{path: the pattern whose optimizer `optimizer_map` gives it, None for the default}.

    The map decides (Keras's rule, above); its ValueError for a path that two
    patterns match becomes one naming them. Raises ValueError too for a pattern
    that matches none of `paths`, listing them. Each pattern must have its own
    optimizer instance (as `build` is given them by the toolkit).
    """
    paths = list(paths)
    owner = {id(optimizer): pattern for pattern, optimizer in optimizer_map.items()}
    chosen = {}
    for path in paths:
        try:
            chosen[path] = owner.get(id(optimizer_map[path]))
        except ValueError:
            matching = [pattern for pattern in optimizer_map if re.fullmatch(pattern, path)]
            raise ValueError(f"variable {path!r} matches {len(matching)} patterns of the "
                             f"optimizer map ({', '.join(map(repr, matching))}); a variable "
                             "may have one optimizer only") from None
    used = set(chosen.values())
    for pattern in optimizer_map:
        if pattern not in used:
            raise ValueError(f"optimizer map pattern {pattern!r} matches no variable of the "
                             f"model; its variables: {', '.join(paths)}")
    return chosen
