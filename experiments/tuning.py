"""Tuning trials with Optuna: search spaces as data, one seeded study per (problem, optimizer).

Each optimizer's search space comes from its record (`optimizers.records`,
AlgoPerf's shape: name -> {"low", "high", "scale": "log" | "linear"}), or from
a YAML file of the same shape keyed by optimizer (`--search_space FILE`), which
replaces the spaces of the optimizers it names.

Trials are drawn by Optuna's `QMCSampler` (scrambled Sobol, seeded): a trial's
values depend only on the seed and the trial's number, never on the results
of other trials, so the K trials of a study are asked for up front and can
run in any order or in parallel. Studies live in one Optuna `JournalStorage`
file (`JournalFileBackend`, guarded by a lock file) in the experiment folder,
which several processes can share; a trial asked for is stored with its
values before it runs, so a study that is continued (`--resume`) re-runs the
unfinished trials with the values they had and asks only for the missing ones.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from pathlib import Path

from experiments.config import ConfigError

STORAGE_FILE = "optuna.journal"
ASK_LOCK = "asking"  # <folder>/asking.lock while an invocation asks for trials
SCALES = ("log", "linear")


def check_search_space(optimizer: str, space, source: str) -> dict:
    """`space` checked against `optimizer`'s hyperparameters; ConfigError naming the fault."""
    import optimizers  # the classes' signatures name their hyperparameters

    own = optimizers.hyperparameters(optimizer)
    if not isinstance(space, dict) or not space:
        raise ConfigError(f"{source}: the search space of {optimizer} must map "
                          "hyperparameters to {low, high, scale}")
    for name, bounds in space.items():
        if name not in own:
            raise ConfigError(f"{source}: {optimizer}'s search space names unknown "
                              f"hyperparameter {name!r}; {optimizer} takes: {', '.join(own)}")
        check_bounds(optimizer, name, bounds, source)
    return {name: dict(bounds) for name, bounds in space.items()}


def check_bounds(optimizer: str, name: str, bounds, source: str) -> None:
    where = f"{source}: {optimizer}.{name}"
    if not isinstance(bounds, dict) or set(bounds) != {"low", "high", "scale"}:
        raise ConfigError(f"{where} must be {{low: L, high: H, scale: log|linear}}")
    low, high, scale = bounds["low"], bounds["high"], bounds["scale"]
    if scale not in SCALES:
        raise ConfigError(f"{where}: scale {scale!r} is not one of {', '.join(SCALES)}")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                  for v in (low, high))
    if not numbers or not low < high or (scale == "log" and low <= 0):
        raise ConfigError(f"{where}: low {low!r} and high {high!r} must be numbers with "
                          "low < high (and low > 0 on a log scale)")


def search_spaces(names: list[str], path: str | None = None) -> dict[str, dict]:
    """The search space of each optimizer of `names`: its record's, or the file's."""
    from optimizers.records import record

    given = read_space_file(path) if path else {}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ConfigError(f"{path}: search space for {', '.join(unknown)}, which this "
                          f"benchmark does not run (optimizers: {', '.join(names)})")
    return {name: check_search_space(name, given[name], path) if name in given
            else check_search_space(name, record(name).search_space, "optimizers/records.py")
            for name in names}


def read_space_file(path: str) -> dict:
    import yaml

    try:
        content = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"--search_space {path}: cannot read ({error})") from None
    if not isinstance(content, dict):
        raise ConfigError(f"--search_space {path}: expected optimizer -> search space")
    return content


def distributions(space: dict) -> dict:
    """Optuna's FloatDistribution per hyperparameter, in the space's order."""
    from optuna.distributions import FloatDistribution

    return {name: FloatDistribution(float(b["low"]), float(b["high"]), log=b["scale"] == "log")
            for name, b in space.items()}


def open_storage(folder: Path):
    """The experiment's Optuna storage: a journal file several processes can share."""
    import optuna
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.storages.JournalStorage(JournalFileBackend(str(folder / STORAGE_FILE)))


@contextlib.contextmanager
def asking(folder: Path):
    """Hold the experiment's lock for asking trials, so that two invocations working on one
    study (`--resume` while another runs, or from another machine on a shared disk) cannot
    both see K - n trials and ask for n each. Optuna's `JournalFileOpenLock` (a file created
    with O_EXCL, as its journal uses; taken over after 30 s, should its holder die)."""
    from optuna.storages.journal import JournalFileOpenLock

    lock = JournalFileOpenLock(str(folder / ASK_LOCK))
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def open_study(storage, name: str, seed: int):
    """The study `name` (created if new), sampling by scrambled Sobol points from `seed`."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
    return optuna.create_study(storage=storage, study_name=name, sampler=sampler,
                               direction="minimize", load_if_exists=True)


def trials_of(study, space: dict, count: int) -> list:
    """The study's first `count` trials (FrozenTrial), asking for those not yet there.

    ConfigError when the study already holds more trials than `count`
    (it was started with a larger --tuning_trials).
    """
    existing = len(study.trials)
    if existing > count:
        raise ConfigError(f"study {study.study_name} already holds {existing} trials, more "
                          f"than --tuning_trials {count}")
    fixed = distributions(space)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # QMCSampler's first trial note, experimental flags
        for _ in range(existing, count):
            study.ask(fixed)
    return sorted(study.trials, key=lambda trial: trial.number)


def tell(study, trial, value: float) -> None:
    """Record a finished trial's `value` (lower is better), once: a trial another invocation
    has told meanwhile (the same value, from the same history) is left as it is."""
    from optuna.trial import TrialState

    if trial.state == TrialState.RUNNING:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna's note on a trial already finished
            study.tell(trial.number, value, skip_if_finished=True)
