"""Which runs make one configuration, and the label that names it.

Pure Python. Runs whose configs are equal except for execution.seed form one
configuration. Its label is the optimizer name, plus the settings that differ
between the configurations sharing that optimizer, e.g.
`adam (learning_rate=0.01)`. A run with per-layer optimizers is labelled by its
map, `conv.*=sgd, dense.*=adam, rest=adam` (rest: the default group). The
results table and every figure group runs here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from analysis import run_config

# A setting's name in labels: the flag that sets it (lr_schedule, not schedule.name).
LABEL_NAMES = {location: flag for flag, location in run_config.FIELDS.items()}


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
        config = without_seed(history["config"])
        key = json.dumps(config, sort_keys=True, default=str)
        if key not in groups:
            groups[key] = Configuration("", run_config.optimizer_name(config), config)
        groups[key].histories.append(history)
    configurations = list(groups.values())
    for configuration in configurations:
        configuration.label = _label(configuration, configurations)
    return configurations


def _label(configuration: Configuration, configurations: list[Configuration]) -> str:
    """The optimizer (with its per-layer map, if any) plus the settings that tell it from
    its siblings: the configurations of the same optimizer and map patterns.

    A map group's setting goes after the group's name when it differs between the
    siblings' groups of that pattern that have it: `conv.*=sgd(learning_rate=0), rest=adam`
    beside `conv.*=momentum(learning_rate=0.05), rest=adam`.
    """
    identity = _identity(configuration.config)
    siblings = [other for other in configurations if _identity(other.config) == identity]
    flat = [_flatten(other.config) for other in siblings]
    own = flat[siblings.index(configuration)]
    differing = [name for name in own if name != "optimizer" and len(
        {_text(item.get(name)) for item in flat
         if not isinstance(name, tuple) or name in item}) > 1]
    shown: dict = {}
    for pattern, key in (name for name in differing if isinstance(name, tuple)):
        shown.setdefault(pattern, []).append(key)
    base = run_config.map_label(configuration.config, shown)
    settings = ", ".join(f"{name}={_text(own[name])}" for name in differing
                         if not isinstance(name, tuple))
    return f"{base} ({settings})" if settings else base


def _identity(config: dict) -> tuple:
    """What siblings share: the (default group's) optimizer and the map's patterns."""
    return run_config.optimizer_name(config), tuple(run_config.optimizer_map(config))


def without_seed(config: dict) -> dict:
    """A sectioned run config without execution.seed (nor the settings that only change what
    a run records, `run_config.RECORDING_ONLY`): what the seeds of a configuration share."""
    dropped = {"seed", *(key for section, key in run_config.RECORDING_ONLY
                         if section == "execution")}
    execution = {key: value for key, value in config.get("execution", {}).items()
                 if key not in dropped}
    return {**config, "execution": execution}


def _flatten(config: dict) -> dict:
    """Every setting by the name of its flag (`learning_rate`, `lr_schedule`, `batch_size`);
    keys this schema does not name are `section.key`; a map group's settings are
    (pattern, key)."""
    flat: dict = {}
    for section, settings in config.items():
        if not isinstance(settings, dict):
            flat[section] = settings
            continue
        for key, value in settings.items():
            if section == "optimizer" and key == run_config.MAP_KEY:
                flat.update({(pattern, name): item for pattern, group in (value or {}).items()
                             for name, item in group.items() if name != "name"})
                continue
            default = key if section == "optimizer" else f"{section}.{key}"
            flat[LABEL_NAMES.get((section, key), default)] = value
    return flat


def _text(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)
