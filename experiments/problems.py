"""Benchmark problems and suites: named bundles read from YAML, no code per problem.

A problem (AlgoPerf's workload, FOB's task) is one file `configs/problems/<name>.yaml`:

    description: MLP on MNIST            # one line for the report
    dataset: mnist                       # a data set of data.registry
    model: mlp                           # a model of models.MODELS
    batch_size: 128                      # examples per step
    epochs: 8                            # budget: training stops after this many epochs
    eval_every_steps: 40                 # validation every N steps (null: once an epoch)
    target: 0.97                         # validation accuracy to reach, in (0, 1]
    validation_split: 0.1                # share of the training set held out
    subset: null                         # train on N class-balanced images (optional)

A suite is one file `configs/suites/<name>.yaml` naming its problems, each with
optional overrides of the keys above:

    description: the MNIST problems
    problems:
      mnist_mlp:                         # as declared
      mnist_cnn: {subset: 2000, epochs: 1}

Adding a problem or a suite is adding a file. Every error is a ConfigError
naming the file and the key. Pure Python (yaml only).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import yaml

from experiments.config import ConfigError

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
PROBLEMS_DIR = CONFIGS / "problems"
SUITES_DIR = CONFIGS / "suites"


@dataclass(frozen=True)
class Problem:
    """One benchmark problem; see the module docstring for each field."""

    name: str
    description: str
    dataset: str
    model: str
    batch_size: int
    epochs: int
    target: float
    eval_every_steps: int | None = None
    validation_split: float = 0.1
    subset: int | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


FIELDS = {field.name for field in dataclasses.fields(Problem)} - {"name"}
REQUIRED = ("description", "dataset", "model", "batch_size", "epochs", "target")


def available(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.yaml"))


def read_yaml(path: Path) -> dict:
    """A YAML file holding a mapping; ConfigError naming the file otherwise."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())  # PyYAML's message spans several lines
        raise ConfigError(f"{path}: cannot read ({reason})") from None
    if not isinstance(content, dict):
        raise ConfigError(f"{path}: expected a mapping of settings")
    return content


def named_file(kind: str, name: str, folder: Path) -> Path:
    """configs/<kind>s/<name>.yaml, or `name` itself when it is the path of a .yaml file."""
    if isinstance(name, str) and name.endswith((".yaml", ".yml")) and Path(name).is_file():
        return Path(name)
    if isinstance(name, str) and (name.endswith((".yaml", ".yml")) or "/" in name):
        raise ConfigError(f"{kind} file {name} does not exist")
    path = folder / f"{name}.yaml"
    if not isinstance(name, str) or not name or "/" in name or not path.is_file():
        raise ConfigError(f"unknown {kind} {name!r}; choose from: "
                          f"{', '.join(available(folder))} (or add {folder}/{name}.yaml)")
    return path


def load_problem(name: str, overrides: dict | None = None,
                 folder: Path | None = None, overrides_source: str = "overrides") -> Problem:
    """The problem `name` (configs/problems/<name>.yaml), with `overrides` applied; an error
    names the file a bad key or value came from (`overrides_source` for the overrides)."""
    path = named_file("problem", name, folder or PROBLEMS_DIR)
    overrides = overrides or {}
    settings = {**read_yaml(path), **overrides}

    def source(keys) -> str:
        return overrides_source if set(keys) & set(overrides) else str(path)

    unknown = sorted(set(settings) - FIELDS)
    if unknown:
        raise ConfigError(f"{source(unknown)}: unknown key(s) {', '.join(unknown)} for problem "
                          f"{name!r}; allowed: {', '.join(sorted(FIELDS))}")
    missing = [key for key in REQUIRED if settings.get(key) is None]
    if missing:
        raise ConfigError(f"{source(missing)}: missing key(s) {', '.join(missing)}")
    problem = Problem(name=Path(name).stem, **settings)
    check_problem(problem, lambda key: source([key]))
    return problem


def check_problem(problem: Problem, source) -> None:
    """ConfigError naming `source(key)` (the file) and the key for any value out of range."""
    import data  # the data set registry (no TensorFlow)
    import models

    def fail(key, allowed):
        value = getattr(problem, key)
        raise ConfigError(f"{source(key)}: {key} {value!r} is not allowed for problem "
                          f"{problem.name!r}; expected {allowed}")

    if problem.dataset not in data.DATASETS:
        fail("dataset", f"one of {', '.join(data.DATASETS)}")
    if problem.model not in models.MODELS:
        fail("model", f"one of {', '.join(models.MODELS)}")
    if not is_number(problem.target) or not 0 < problem.target <= 1:
        fail("target", "a validation accuracy in (0, 1]")
    for key in ("batch_size", "epochs"):
        if not is_positive_int(getattr(problem, key)):
            fail(key, "a positive integer")
    for key in ("eval_every_steps", "subset"):
        if getattr(problem, key) is not None and not is_positive_int(getattr(problem, key)):
            fail(key, "a positive integer or null")
    if not is_number(problem.validation_split) or not 0 < problem.validation_split < 1:
        fail("validation_split", "a number in (0, 1)")


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def load_suite(name: str, folder: Path | None = None,
               problems_folder: Path | None = None) -> list[Problem]:
    """The problems of suite `name` (configs/suites/<name>.yaml, or a path to a suite
    file), in the file's order."""
    path = named_file("suite", name, folder or SUITES_DIR)
    content = read_yaml(path)
    listed = content.get("problems")
    if not isinstance(listed, dict) or not listed:
        raise ConfigError(f"{path}: 'problems' must map problem names to overrides (or nothing)")
    problems = []
    for problem_name, overrides in listed.items():
        if overrides is not None and not isinstance(overrides, dict):
            raise ConfigError(f"{path}: the overrides of {problem_name!r} must be a mapping")
        problems.append(load_problem(problem_name, overrides, problems_folder, str(path)))
    return problems


def override_target(problems: list[Problem], target: float | None) -> list[Problem]:
    """`problems` with every target replaced by `target` (None: as declared)."""
    if target is None:
        return problems
    if not is_number(target) or not 0 < target <= 1:
        raise ConfigError(f"--target {target!r} is not allowed; expected a validation "
                          "accuracy in (0, 1]")
    return [dataclasses.replace(problem, target=target) for problem in problems]
