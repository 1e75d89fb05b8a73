"""Which runs make one configuration, and the label that names it.

Pure Python. Runs whose configs are equal except for `seed` form one
configuration. Its label is the optimizer name, plus the settings that differ
between the configurations sharing that optimizer, e.g.
`adam (learning_rate=0.01)`. The results table and every figure group runs here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Configuration:
    """The runs (one per seed) of one configuration, with the label that names it."""

    label: str
    optimizer: str
    config: dict
    histories: list = field(default_factory=list)


def group_by_configuration(histories: list[dict]) -> list[Configuration]:
    """Group runs whose configs are equal except for `seed`, in order of first appearance."""
    groups: dict[str, Configuration] = {}
    for history in histories:
        config = {key: value for key, value in history["config"].items() if key != "seed"}
        key = json.dumps(config, sort_keys=True, default=str)
        if key not in groups:
            groups[key] = Configuration("", str(config["optimizer"]), config)
        groups[key].histories.append(history)
    configurations = list(groups.values())
    for configuration in configurations:
        configuration.label = _label(configuration, configurations)
    return configurations


def _label(configuration: Configuration, configurations: list[Configuration]) -> str:
    """The optimizer name plus the settings that tell it from its siblings."""
    siblings = [other for other in configurations if other.optimizer == configuration.optimizer]
    flat = [_flatten(other.config) for other in siblings]
    names = [name for name in flat[siblings.index(configuration)] if name != "optimizer"]
    differing = [name for name in names if len({_text(item.get(name)) for item in flat}) > 1]
    if not differing:
        return configuration.optimizer
    own = flat[siblings.index(configuration)]
    settings = ", ".join(f"{name}={_text(own[name])}" for name in differing)
    return f"{configuration.optimizer} ({settings})"


def _flatten(config: dict, prefix: str = "") -> dict:
    """Nested settings by their own name (`learning_rate`), dotted only on a clash."""
    flat: dict = {}
    for key, value in config.items():
        if isinstance(value, dict):
            for name, item in _flatten(value, f"{prefix}{key}.").items():
                short = name.rsplit(".", 1)[-1]
                clash = short in config or short in flat
                flat[name if clash else short] = item
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
