"""Find runs in a results tree and select the ones a figure or table should show.

The tree is `<results_dir>/<experiment>/<run>/history.json`. Only the JSON is
read: which optimizer, dataset and seed a run used comes from its `config`,
never from folder names. The experiment is the folder a run sits in.

"Latest" means the experiment whose history files were modified most recently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.history import HistoryError, find_history_files, read_history
from plotting.style import optimizer_sort_key

ALL = "all"
MAX_LISTED = 12  # names listed in an error before "... and N more"


class SelectionError(ValueError):
    """Nothing to draw: no results, or no runs matching what was asked for."""


@dataclass(frozen=True)
class Run:
    """One run's history with where it lives."""

    path: Path
    experiment: str
    history: dict
    modified: float

    @property
    def optimizer(self) -> str:
        return str(self.history["config"]["optimizer"])

    @property
    def dataset(self) -> str:
        return str(self.history["config"]["dataset"])


def load_runs(results_dir: str | Path, experiment: str | None = None):
    """Every readable run below `results_dir` (or in one experiment), and the faults met.

    Returns `(runs, problems)`: `problems` holds one message per history file
    that could not be read or broke the schema, naming the file.
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise SelectionError(f"results directory {str(results_dir)!r} does not exist")
    paths = list(find_history_files(results_dir))
    if not paths:
        raise SelectionError(f"no history files under {results_dir} (train_model.py writes them)")
    if experiment is not None:
        experiments = sorted({path.parent.parent.name for path in paths})
        if experiment not in experiments:
            raise SelectionError(
                f"no experiment {experiment!r} in {results_dir} (found: {_listing(experiments)})"
            )
        paths = [path for path in paths if path.parent.parent.name == experiment]
    runs, problems = [], []
    for path in paths:
        try:
            history = read_history(path)
            modified = path.stat().st_mtime
        except HistoryError as error:
            problems.append(f"skipped {error}")
            continue
        except OSError as error:
            problems.append(f"skipped {path}: cannot read ({error.strerror or error})")
            continue
        runs.append(Run(path, path.parent.parent.name, history, modified))
    return runs, problems


def parse_optimizers(text: str) -> list[str] | None:
    """`"adam,sgd"` -> ["adam", "sgd"]; `"all"` -> None (every optimizer)."""
    names = list(dict.fromkeys(name.strip().lower() for name in text.split(",") if name.strip()))
    if not names:
        raise SelectionError("--optimizer needs a name, a comma-separated list or 'all'")
    return None if ALL in names else names


def select_runs(runs: list[Run], optimizers: list[str] | None, dataset: str | None = None):
    """The runs to draw, in optimizer order.

    `optimizers=None` takes every run of the latest experiment; a list takes,
    for each optimizer, its runs in the latest experiment that has it. A
    `dataset` keeps only the runs on that dataset.
    """
    if not runs:
        raise SelectionError("no readable history files (see the warnings above)")
    if dataset is not None:
        runs = _on_dataset(runs, dataset)
    if optimizers is None:
        chosen = [run for run in runs if run.experiment == latest_experiment(runs)]
    else:
        _check_known(runs, optimizers, dataset)
        chosen = []
        for optimizer in optimizers:
            candidates = [run for run in runs if run.optimizer == optimizer]
            latest = latest_experiment(candidates, among=runs)
            chosen += [run for run in candidates if run.experiment == latest]
    return sorted(chosen, key=lambda run: (optimizer_sort_key(run.optimizer), str(run.path)))


def latest_experiment(candidates: list[Run], among: list[Run] | None = None) -> str:
    """The experiment of `candidates` whose history files (all of `among`) changed last."""
    modified: dict[str, float] = {}
    for run in among if among is not None else candidates:
        modified[run.experiment] = max(modified.get(run.experiment, 0.0), run.modified)
    names = {run.experiment for run in candidates}
    return max(names, key=lambda name: (modified[name], name))


def _on_dataset(runs: list[Run], dataset: str) -> list[Run]:
    kept = [run for run in runs if run.dataset == dataset]
    if not kept:
        found = sorted({run.dataset for run in runs})
        raise SelectionError(f"no runs on dataset {dataset!r} (found: {_listing(found)})")
    return kept


def _check_known(runs: list[Run], optimizers: list[str], dataset: str | None) -> None:
    found = sorted({run.optimizer for run in runs}, key=optimizer_sort_key)
    unknown = [name for name in optimizers if name not in found]
    if unknown:
        experiments = sorted({run.experiment for run in runs})
        where = f"experiment {experiments[0]!r}" if len(experiments) == 1 else "the results"
        if dataset is not None:
            where += f" on dataset {dataset!r}"
        names = ", ".join(repr(name) for name in unknown)
        raise SelectionError(f"no runs of {names} in {where} (found: {_listing(found)})")


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown
