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

    @property
    def model(self) -> str:
        return str(self.history["config"]["model"]["name"])

    @property
    def data_label(self) -> str:
        """The data set's name, with "(bundled sample)" when it trained on that sample."""
        return data_label(self.history)


SAMPLE_SOURCE = "bundled_sample"  # data.load_dataset_with_source's name for data/sample/


def data_label(history: dict) -> str:
    """`history`'s data set name, e.g. "mnist", or "mnist (bundled sample)"."""
    name = str(history["config"]["problem"]["dataset"])
    source = (history.get("data") or {}).get("source")
    return f"{name} (bundled sample)" if source == SAMPLE_SOURCE else name


def data_note(histories: list[dict]) -> str | None:
    """One line for a results table when some runs trained on the bundled sample, else None."""
    sampled = [history for history in histories
               if (history.get("data") or {}).get("source") == SAMPLE_SOURCE]
    if not sampled:
        return None
    data = sampled[0]["data"]
    return (f"Data: {len(sampled)} of {len(histories)} runs trained on the MNIST sample bundled "
            f"in data/sample/ ({data['train_examples']} training, {data['test_examples']} test "
            "images), not on full MNIST: their numbers are not comparable with full-MNIST results.")


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
