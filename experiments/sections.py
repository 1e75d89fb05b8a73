"""The sectioned spelling of an experiment file, read into the flag-named config values.

Pure Python. The sections are those of a run's config (`analysis.run_config`),
plus `experiment` (what only an invocation has) and `grid` (the axes)::

    problem:   {dataset: mnist, subset: 2000, validation_split: 0.1, data_dir: DIR,
                target: 0.98}
    model:     {name: cnn, init: he, dropout: 0.25, batch_norm: true, l2: 0.0}
    optimizer: {name: muon, learning_rate: 0.02, exclude_layers: [dense_1]}
    schedule:  {name: cosine, warmup_epochs: 1, decay_rate: 0.5, decay_epochs: 4,
                patience: 5}
    execution: {epochs: 5, batch_size: 64, seed: 0, early_stopping: 3,
                divergence_threshold: 10}
    experiment: {name: study, output_dir: results, device: auto, quiet: false,
                 resume: false, keep_checkpoints: false}
    grid:
      optimizer: {name: [adam, sgd], learning_rate: [0.01, 0.001], beta_2: [0.99, 0.999]}
      execution: {seed: [0, 1, 2], batch_size: [32, full]}

In a section every value is one value: a list or a mapping there is the
value of that setting (`exclude_layers: [dense_1]`). Only `grid:` makes axes,
each a list; its keys are `optimizer.name`, `optimizer.<any hyperparameter>`,
`execution.seed` and `execution.batch_size`. Every key is optional.
"""

from __future__ import annotations

from analysis import run_config
from experiments import checks

EXPERIMENT_KEYS = {"name": "experiment", "output_dir": "output_dir", "device": "device",
                   "quiet": "quiet", "resume": "resume", "keep_checkpoints": "keep_checkpoints"}
SECTIONS = (*run_config.SECTIONS, "experiment", "grid")
# The flags a one-value setting gives a one-item axis of.
AXIS_FLAGS = ("optimizer", "learning_rate", "seed", "batch_size")
GRID_AXES = {("optimizer", "name"): "optimizer", ("optimizer", "learning_rate"): "learning_rate",
             ("execution", "seed"): "seed", ("execution", "batch_size"): "batch_size"}


FLAT_MAPPINGS = ("optimizer_config", "lr_schedule")  # flat keys whose value is a mapping


def is_sectioned(values: dict) -> bool:
    """Whether a file uses sections: `grid:`, or a mapping under any key but the flat
    spelling's own two (optimizer_config, lr_schedule). Otherwise it is the flat spelling
    of the first release, which keeps working (a list there is a grid axis)."""
    return "grid" in values or any(isinstance(value, dict) for key, value in values.items()
                                   if key not in FLAT_MAPPINGS)


def flatten(values: dict, fail) -> tuple[dict, dict, dict]:
    """(flag-named values, optimizer hyperparameters, hyperparameter axes) of a sectioned file.

    `fail(message)` raises the caller's error; messages name `section.key`.
    """
    flags = {location: flag for flag, location in run_config.FIELDS.items()}
    flat, hyperparameters = {}, {}
    for section, settings in values.items():
        if section not in SECTIONS and section in run_config.FIELDS:
            fail(f"{section!r} outside a section: in a file with sections write it as "
                 f"{dotted(section)} ({run_config.FIELDS[section][0]}: {{...}})")
        if section not in SECTIONS:
            fail(f"unknown section {section!r}; sections: {', '.join(SECTIONS)}")
        if not isinstance(settings, dict):
            fail(f"section {section!r} must be a mapping of keys to values")
        if section == "grid":
            continue
        for key, value in settings.items():
            flag = EXPERIMENT_KEYS.get(key) if section == "experiment" else flags.get(
                (section, key))
            if flag is None and section == "optimizer":
                if not checks.json_value(value):
                    fail(f"optimizer.{key} must be a number, string, boolean, null, or a list "
                         "or mapping of them")
                hyperparameters[key] = value
            elif flag is None:
                fail(f"{section}.{key}: unknown key; valid keys: {_valid(section)}")
            elif flag in AXIS_FLAGS and isinstance(value, (list, tuple)):
                fail(f"{section}.{key} takes one value; for several, write them under grid: "
                     f"(grid: {{{section}: {{{key}: [...]}}}})")
            else:
                flat[flag] = value
    axes = _grid(values.get("grid", {}), flat, fail)
    for key in set(axes) & set(hyperparameters):
        fail(f"optimizer.{key} is given both as a value and under grid:")
    return flat, hyperparameters, axes


def dotted(flag: str) -> str:
    """Where a flag's setting sits in a sectioned file: `execution.seed`."""
    if flag in run_config.FIELDS:
        return ".".join(run_config.FIELDS[flag])
    names = {value: key for key, value in EXPERIMENT_KEYS.items()}
    return f"experiment.{names[flag]}" if flag in names else flag


def _grid(grid: dict, flat: dict, fail) -> dict:
    """The `grid:` section: the four axis flags go into `flat`; the other hyperparameter
    axes are returned."""
    axes = {}
    for section, settings in grid.items():
        if not isinstance(settings, dict):
            fail(f"grid.{section} must be a mapping of keys to lists of values")
        for key, items in settings.items():
            if not isinstance(items, list) or not items:
                fail(f"grid.{section}.{key} must be a non-empty list of values")
            if (section, key) in GRID_AXES:
                if GRID_AXES[section, key] in flat:
                    fail(f"{section}.{key} is given both as a value and under grid:")
                flat[GRID_AXES[section, key]] = items
            elif section == "optimizer":
                axes[key] = tuple(items)
            else:
                fail(f"grid.{section}.{key} cannot be a grid axis; axes: optimizer.name, "
                     "optimizer.<hyperparameter>, execution.seed, execution.batch_size")
    return axes


def _valid(section: str) -> str:
    if section == "experiment":
        return ", ".join(EXPERIMENT_KEYS)
    return ", ".join(key for where, key in run_config.FIELDS.values() if where == section)


def run_values(sectioned: dict) -> dict:
    """A sectioned run config as flag-named values (`analysis.run_config.FIELDS`); the
    optimizer's hyperparameters (learning rate apart) under optimizer_config, the schedule
    as the nested `lr_schedule` mapping."""
    flags = {location: flag for flag, location in run_config.FIELDS.items()}
    values, hyperparameters = {}, {}
    for section, settings in sectioned.items():
        for key, value in (settings or {}).items():
            if section == "schedule":
                values.setdefault("lr_schedule", {})[key] = value
            elif (section, key) in flags:
                values[flags[section, key]] = value
            elif section == "optimizer":
                hyperparameters[key] = value
    values["optimizer_config"] = hyperparameters
    return values
