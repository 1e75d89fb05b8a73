"""The run configuration's schema, defined once: its sections, their keys, their flags.

Pure Python. A run's config (what a run spec carries and its history.json
records) is a JSON object of five sections::

    {"problem":   {"dataset": "mnist", "subset": null, "validation_split": 0.1,
                   "data_dir": null, "target": null},
     "model":     {"name": "cnn", "init": "he", "dropout": null, "batch_norm": true,
                   "l2": 0.0},
     "optimizer": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, ...},
     "schedule":  {"name": "constant", "warmup_epochs": 0},
     "execution": {"epochs": 50, "batch_size": 64, "seed": 0, "early_stopping": null,
                   "divergence_threshold": null, "tensorboard": false}}

`execution` also holds `distribute` (none, mirrored or multi_worker), `replicas`
(mirrored: the devices asked for, null for the default) and `scale_lr` (none,
linear or sqrt): see training/distribute.py. It may also hold `eval_every_steps`
(benchmark problems: validate every N steps instead of once an epoch; see
training/runner.py's `evaluation_period`).

`optimizer` holds the name and every hyperparameter of that optimizer, at its
resolved value (a value may itself be a list or a map). A run with per-layer
optimizers adds `map`: {pattern: {"name": ..., every hyperparameter}} in the
order given; the section's own name and hyperparameters are then the default
group, for the variables no pattern matches (`optimizers.groups`). `schedule` holds the
name and the settings that schedule takes (`decay_rate`, `decay_epochs`,
`patience`, `warmup_epochs`: see training/schedules.py).

`FIELDS` maps each flat name (a command-line flag, a key of a schema-1 history
or of an old YAML file) to its (section, key); everything else that reads or
writes run configs derives from it.
"""

from __future__ import annotations

SECTIONS = ("problem", "model", "optimizer", "schedule", "execution")
FIELDS = {
    "dataset": ("problem", "dataset"),
    "subset": ("problem", "subset"),
    "validation_split": ("problem", "validation_split"),
    "data_dir": ("problem", "data_dir"),
    "target": ("problem", "target"),
    "model": ("model", "name"),
    "init": ("model", "init"),
    "dropout": ("model", "dropout"),
    "batch_norm": ("model", "batch_norm"),
    "l2": ("model", "l2"),
    "optimizer": ("optimizer", "name"),
    "learning_rate": ("optimizer", "learning_rate"),
    "lr_schedule": ("schedule", "name"),
    "lr_decay_rate": ("schedule", "decay_rate"),
    "lr_decay_epochs": ("schedule", "decay_epochs"),
    "lr_patience": ("schedule", "patience"),
    "warmup_epochs": ("schedule", "warmup_epochs"),
    "epochs": ("execution", "epochs"),
    "batch_size": ("execution", "batch_size"),
    "seed": ("execution", "seed"),
    "early_stopping": ("execution", "early_stopping"),
    "divergence_threshold": ("execution", "divergence_threshold"),
    "tensorboard": ("execution", "tensorboard"),
    "mixed_precision": ("execution", "mixed_precision"),
    "jit_compile": ("execution", "jit_compile"),
    "distribute": ("execution", "distribute"),
    "replicas": ("execution", "replicas"),
    "scale_lr": ("execution", "scale_lr"),
}
# Every (section, key) a resolved run config has (the optimizer's and schedule's own
# settings besides). A history must have these.
REQUIRED = tuple(FIELDS[name] for name in (
    "dataset", "subset", "validation_split", "model", "optimizer", "epochs", "batch_size",
    "seed"))
# Keys added after the first release, at the value a config without them ran with:
# such runs resume, and compare, as if they had them.
ADDED = {
    ("problem", "data_dir"): None,
    ("problem", "target"): None,
    ("model", "init"): "he",
    ("model", "dropout"): None,
    ("model", "batch_norm"): True,
    ("model", "l2"): 0.0,
    ("execution", "early_stopping"): None,
    ("execution", "divergence_threshold"): None,
    ("execution", "tensorboard"): False,
    ("execution", "mixed_precision"): False,
    # Earlier runs compiled with jit_compile=False under op determinism, which is what
    # "auto" resolves to there (training/precision.py).
    ("execution", "jit_compile"): "auto",
    # One run across devices or machines (training/distribute.py); earlier runs had none.
    ("execution", "distribute"): "none",
    ("execution", "replicas"): None,
    ("execution", "scale_lr"): "none",
}
# Settings that change what a run writes beside its history, never its results: runs
# that differ only in them are one configuration (`analysis.grouping`).
RECORDING_ONLY = (("execution", "tensorboard"),)
DEFAULT_SCHEDULE = {"name": "constant", "warmup_epochs": 0}
# The schedule section's keys and the flags that set them (decay_rate: lr_decay_rate).
SCHEDULE_FLAGS = {key: flag for flag, (section, key) in FIELDS.items() if section == "schedule"}


def empty() -> dict:
    return {section: {} for section in SECTIONS}


def with_added_keys(config: dict) -> dict:
    """A sectioned config with every key added since the first release (at its old value)."""
    filled = {section: dict(config.get(section) or {}) for section in SECTIONS}
    for (section, key), value in ADDED.items():
        filled[section].setdefault(key, value)
    if not filled["schedule"]:
        filled["schedule"] = dict(DEFAULT_SCHEDULE)
    return filled


def from_flat(flat: dict) -> dict:
    """A schema-1 (flat) run config in sections: `optimizer_config` joins the optimizer's name,
    `lr_schedule` (already nested: {"name": ..., "decay_rate": ...}) becomes the schedule.

    Keys this schema does not know are dropped.
    """
    config = empty()
    for name, value in flat.items():
        if name == "optimizer_config":
            config["optimizer"].update(value or {})
        elif name == "lr_schedule" and isinstance(value, dict):
            config["schedule"].update(value)
        elif name in FIELDS:
            section, key = FIELDS[name]
            config[section][key] = value
    return with_added_keys(config)


def optimizer_name(config: dict) -> str:
    """The optimizer's name; with a map, the default group's."""
    return str(config["optimizer"]["name"])


MAP_KEY = "map"  # the optimizer section's key holding per-layer groups


def hyperparameters(config: dict) -> dict:
    """The (default group's) optimizer's hyperparameters: its section without name and map."""
    return {key: value for key, value in config["optimizer"].items()
            if key not in ("name", MAP_KEY)}


def optimizer_map(config: dict) -> dict:
    """The per-layer groups, {pattern: {"name": ..., **hyperparameters}}; {} without a map."""
    return config["optimizer"].get(MAP_KEY) or {}


def map_label(config: dict, shown: dict | None = None) -> str:
    """The optimizer as a label: `adam` or, with a map, `conv.*=sgd, dense.*=adam, rest=adam`.

    `shown` ({pattern: [keys]}) names the group hyperparameters written after
    the group's name: `conv.*=sgd(learning_rate=0.1)`.
    """
    groups = optimizer_map(config)
    if not groups:
        return optimizer_name(config)
    parts = []
    for pattern, group in groups.items():
        keys = (shown or {}).get(pattern, [])
        settings = ",".join(f"{key}={_text(group.get(key))}" for key in keys)
        parts.append(f"{pattern}={group['name']}" + (f"({settings})" if settings else ""))
    return ", ".join([*parts, f"rest={optimizer_name(config)}"])


def _text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe(config: dict) -> str:
    """One line naming a run: `adam (learning_rate=0.001, ...) batch=64 seed=0`, the map
    (`conv.*=sgd, rest=adam`) in brackets after the name when there is one."""
    settings = ", ".join(f"{key}={value}" for key, value in hyperparameters(config).items()
                         if value is not None)
    execution = config["execution"]
    groups = f" [{map_label(config)}]" if optimizer_map(config) else ""
    return (f"{optimizer_name(config)}{groups} ({settings}) batch={execution['batch_size']} "
            f"seed={execution['seed']}")
