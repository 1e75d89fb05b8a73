"""Results as a `pandas.DataFrame`: one row per run per epoch, config columns flattened.

    from analysis.frame import load_frame
    frame = load_frame("results")                       # every experiment
    frame = load_frame("results/mnist_cnn_20261122-143000")   # one experiment
    frame = load_frame("results", experiment="study")   # the same, by name
    last = frame.groupby(["experiment", "run"]).tail(1)       # each run's last epoch

Runs are read by the one loader (`analysis.loading`); no TensorFlow is
imported, and pandas only when a frame is built. Columns, in this order:

    experiment, run       the experiment's folder name and the run's folder name
    status                the run's status (running, completed, early_stopped, ...)
    epoch, step, loss, accuracy, val_loss, val_accuracy, lr, train_time_s,
    eval_time_s           one row per entry of history.json's "history"
                          (Keras's metric names; analysis/history.py)
    wall_time_s           the run's training and evaluation seconds so far
    test.accuracy, test.loss   the test scores, on every row of the run; empty
                          (NaN) for runs that were not tested
    <section>.<key>       the run's config (`analysis.run_config`), e.g.
                          problem.dataset, optimizer.name, optimizer.learning_rate,
                          schedule.name, execution.batch_size, execution.seed
    data.<key>            the data the run used (data.source, data.train_examples, ...)
                          where the history records it

Empty values are NaN (None in object columns). A config value that is a list
or a mapping is its JSON text. A column whose runs hold values of different
kinds (`execution.batch_size` 64 and "full") holds them as text, so that
every column has one type (Parquet needs it). A run that has not finished an
epoch has no row.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from analysis.history import FILENAME, HISTORY_KEYS
from analysis.loading import Run, SelectionError, listing, load_runs

FORMATS = (".csv", ".parquet")


def load_frame(path: str | os.PathLike = "results", experiment: str | None = None):
    """The runs under `path` as a DataFrame (module docstring), and nothing else.

    `path` is a results folder (every experiment in it, or the one named by
    `experiment`) or one experiment's folder. Unreadable history files are
    skipped; `load_runs_and_problems` tells which. Raises
    `analysis.loading.SelectionError` when there is no such folder, no run or
    no such experiment.
    """
    runs, _ = load_runs_and_problems(path, experiment)
    return runs_frame(runs)


def load_runs_and_problems(path: str | os.PathLike, experiment: str | None = None):
    """(runs, one message per history file skipped) for `load_frame`'s `path` and
    `experiment`."""
    path = Path(path)
    if experiment is None and any(path.glob(f"*/{FILENAME}")):  # an experiment's folder
        path, experiment = path.parent, path.name
    return load_runs(path, experiment)


def select(runs: list[Run], optimizers: list[str] | None = None,
           dataset: str | None = None) -> list[Run]:
    """The runs of those optimizers (None: all) on that dataset (None: any), in their order;
    SelectionError naming what there is when none is left."""
    kept = [run for run in runs if (optimizers is None or run.optimizer in optimizers)
            and (dataset is None or run.dataset == dataset)]
    if not kept:
        found = sorted({f"{run.optimizer} on {run.dataset}" for run in runs})
        raise SelectionError(f"no runs to export (found: {listing(found) or 'none readable'})")
    return kept


def runs_frame(runs: list[Run]):
    """The DataFrame of `runs` (`analysis.loading.Run`), rows in the order given."""
    import pandas

    rows = [row for run in runs for row in run_rows(run)]
    frame = pandas.DataFrame.from_records(rows, columns=_columns(rows))
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = _one_kind(frame[column])
    return frame


def run_rows(run: Run) -> list[dict]:
    """One dict per epoch of `run`: the columns of the module docstring."""
    history = run.history
    shared = {"experiment": run.experiment, "run": run.path.parent.name,
              "status": history["status"]}
    after = {"wall_time_s": history["wall_time_s"]}
    after.update({f"test.{key}": value for key, value in (history["test"] or {}).items()})
    after.update(flat_config(history["config"]))
    after.update({f"data.{key}": value for key, value in (history.get("data") or {}).items()})
    records = history["history"]
    return [{**shared, **{key: records[key][index] for key in HISTORY_KEYS}, **after}
            for index in range(len(records["epoch"]))]


def flat_config(config: dict) -> dict:
    """A sectioned run config as {"section.key": value}; lists and mappings as JSON text."""
    return {f"{section}.{key}": _scalar(value)
            for section, settings in config.items() for key, value in settings.items()}


def _scalar(value):
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, sort_keys=True)
    return value


def _columns(rows: list[dict]) -> list[str]:
    """Every key of `rows`, in the order first seen; test scores before the config."""
    columns = dict.fromkeys(key for row in rows for key in row)
    fixed = ["experiment", "run", "status", *HISTORY_KEYS, "wall_time_s"]
    tests = sorted(key for key in columns if key.startswith("test."))
    return [*fixed, *tests, *(key for key in columns if key not in {*fixed, *tests})]


def _one_kind(column):
    """`column` as it is if its values are of one kind (bool, number, text), else as text."""
    values = column.dropna()
    kinds = {bool if isinstance(value, bool) else
             float if isinstance(value, (int, float)) else type(value) for value in values}
    if len(kinds) <= 1:
        return column
    return column.map(lambda value: value if value is None else str(value))


def check_export_path(path: str | os.PathLike) -> str:
    """The format of an export file from its suffix (".csv" or ".parquet");
    ValueError naming `path` and the formats otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{str(path)!r} must end in {' or '.join(FORMATS)}")
    return suffix


def write_frame(frame, path: str | os.PathLike) -> Path:
    """Write `frame` to `path` as CSV or Parquet (by its suffix), atomically (a temporary
    file in the same folder, then a rename); the path. Parquet needs pyarrow.

    Raises ValueError for another suffix and OSError when the file cannot be written.
    """
    path = Path(path)
    suffix = check_export_path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        if suffix == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            frame.to_parquet(temporary, index=False)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
