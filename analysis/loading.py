"""The one loader of results: history files under a results tree, read and migrated.

Pure Python. The tree is `<results_dir>/<experiment>/<run>/history.json`; only
the JSON is read (`analysis.history.read_history`, which migrates schema 1):
which optimizer, data set and seed a run used comes from its `config`, never
from folder names. The experiment is the folder a run sits in. The results
table, every figure and `train_model.py`'s closing summary read runs here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis import run_config
from analysis.history import HistoryError, find_history_files, read_history

MAX_LISTED = 12  # names listed in an error before "... and N more"


class SelectionError(ValueError):
    """Nothing to read: no results, or no runs matching what was asked for."""


@dataclass(frozen=True)
class Run:
    """One run's history with where it lives; `modified` is the file's mtime (seconds)."""

    path: Path
    experiment: str
    history: dict
    modified: float

    @property
    def optimizer(self) -> str:
        return run_config.optimizer_name(self.history["config"])

    @property
    def dataset(self) -> str:
        return str(self.history["config"]["problem"]["dataset"])


def load_runs(results_dir: str | Path, experiment: str | None = None):
    """Every readable run below `results_dir` (or in one experiment), and the faults met.

    Returns `(runs, problems)`: `problems` holds one message per history file
    that could not be read or broke the schema, naming the file. Raises
    SelectionError when there is no such directory, no history file, or no
    such experiment.
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
                f"no experiment {experiment!r} in {results_dir} (found: {listing(experiments)})"
            )
        paths = [path for path in paths if path.parent.parent.name == experiment]
    runs, problems = [], []
    for path in paths:
        try:
            runs.append(load_run(path))
        except HistoryError as error:
            problems.append(f"skipped {error}")
        except OSError as error:
            problems.append(f"skipped {path}: cannot read ({error.strerror or error})")
    return runs, problems


def load_run(path: str | Path) -> Run:
    """One history file as a Run; HistoryError or OSError when it cannot be read."""
    path = Path(path)
    history = read_history(path)
    return Run(path, path.parent.parent.name, history, path.stat().st_mtime)


def listing(names: list[str]) -> str:
    """`names` joined by commas, cut after MAX_LISTED with "and N more"."""
    shown = ", ".join(names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown
