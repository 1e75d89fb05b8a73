"""The results table: one row per configuration, mean and spread over its seeds.

Pure Python (no TensorFlow, no matplotlib): `train_model.py` prints this table at
the end of an experiment and writes it beside the runs; `plot_results.py --table`
prints and writes the same table from the history files.

Runs whose configs are equal except for `seed` form one configuration
(`training.grouping`). A row's label is the optimizer name, plus the settings
that differ between the configurations sharing that optimizer, e.g.
`adam (learning_rate=0.01)`.

Columns, in this order (a statistic is the mean over the seeds that have a
value, +- the sample standard deviation (ddof=1), blank with a single value):

    optimizer             the row's label
    seeds                 how many runs (seeds) the configuration has
    final train acc (%)   training accuracy of the last epoch with a finite value
    final val acc (%)     validation accuracy of the last epoch with a finite value
    best val acc (%)      highest validation accuracy over the epochs
    test acc (%)          test accuracy, for runs that were evaluated
    test acc 95% CI       the 95% confidence interval of the mean test accuracy,
                          mean ± t(0.975, n-1) · s / √n over the n seeds (blank
                          with one seed)
    vs best               "best" for the configuration with the highest mean test
                          accuracy; "≈ best" where a test cannot tell it from
                          the best at the 5% level, "< best" where it can (below)
    time (s)              wall_time_s, the run's training time
    epochs to X%          only with a target: the first epoch whose validation
    time to X% (s)        accuracy is >= target, and the summed epoch_time_s up to
                          and including it; over the seeds that reached it
    status                e.g. "2 completed, 1 diverged"

When a statistic covers fewer runs than the row has, "(k/n)" follows it.

"vs best" asks whether the gap to the best configuration could be seed noise.
Where the two configurations ran the same seeds (two or more), it uses a paired
t-test: for each shared seed i, d_i = best's test accuracy - this one's; with n
shared seeds, t = mean(d) / (s_d / √n), and the configuration is "≈ best" when
|t| <= t(0.975, n-1), i.e. when the 95% interval of the mean difference holds 0
(two-sided, alpha = 0.05). Pairing by seed cancels what a seed does to both
runs alike (initialisation, data order), so smaller gaps are detected than by
comparing the two intervals. Without two shared seeds it falls back to Welch's
unpaired t-test (needs two seeds on each side); with one seed no verdict is
given. "Not distinguishable" is not "equal": with 3 seeds only large gaps show.
Quantiles and formulas: `training.statistics`.

`summary.csv` keeps the same rows with raw numbers (accuracies as fractions, as
in the history files) and always the same columns, `CSV_COLUMNS`; the target
columns are empty without a target.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, replace
from pathlib import Path

from training.grouping import Configuration, group_by_configuration
from training.history import STATUSES, write_text_atomic
from training.statistics import (
    Comparison,
    Statistic,
    compare_with_best,
    confidence_interval,
    finite,
)

CSV_COLUMNS = (
    "label",
    "optimizer",
    "seeds",
    "statuses",
    "final_train_accuracy_mean",
    "final_train_accuracy_std",
    "final_val_accuracy_mean",
    "final_val_accuracy_std",
    "final_val_accuracy_ci_low",
    "final_val_accuracy_ci_high",
    "best_val_accuracy_mean",
    "best_val_accuracy_std",
    "test_accuracy_mean",
    "test_accuracy_std",
    "test_accuracy_ci_low",
    "test_accuracy_ci_high",
    "vs_best",
    "vs_best_test",
    "wall_time_s_mean",
    "wall_time_s_std",
    "target",
    "reached_target",
    "epochs_to_target_mean",
    "epochs_to_target_std",
    "time_to_target_s_mean",
    "time_to_target_s_std",
)
# The statistics of a row, with their table headers; accuracies print as percentages.
ACCURACY_COLUMNS = (
    ("final_train_accuracy", "final train acc (%)"),
    ("final_val_accuracy", "final val acc (%)"),
    ("best_val_accuracy", "best val acc (%)"),
    ("test_accuracy", "test acc (%)"),
)


@dataclass(frozen=True)
class Row:
    """One line of the results table; see the module docstring for the columns."""

    label: str
    optimizer: str
    seeds: int
    statuses: str
    final_train_accuracy: Statistic
    final_val_accuracy: Statistic
    best_val_accuracy: Statistic
    test_accuracy: Statistic
    wall_time_s: Statistic
    final_val_accuracy_interval: tuple[float, float] | None = None
    test_accuracy_interval: tuple[float, float] | None = None
    versus_best: Comparison = Comparison()
    target: float | None = None
    epochs_to_target: Statistic | None = None
    time_to_target_s: Statistic | None = None


def summarize(histories: list[dict], target: float | None = None) -> list[Row]:
    """One row per configuration of `histories`, in order of first appearance."""
    configurations = group_by_configuration(histories)
    samples = [_test_accuracy_by_seed(configuration) for configuration in configurations]
    comparisons = compare_with_best(samples)
    return [
        replace(_row(configuration, target), versus_best=comparison)
        for configuration, comparison in zip(configurations, comparisons, strict=True)
    ]


def _test_accuracy_by_seed(configuration: Configuration) -> dict:
    return {run["config"]["seed"]: _test_accuracy(run) for run in configuration.histories}


def _test_accuracy(run: dict) -> float | None:
    return (run["test"] or {}).get("accuracy")


def _row(configuration: Configuration, target: float | None) -> Row:
    runs = configuration.histories
    row = Row(
        label=configuration.label,
        optimizer=configuration.optimizer,
        seeds=len(runs),
        statuses=describe_statuses(run["status"] for run in runs),
        final_train_accuracy=Statistic.of(_last_finite(run, "accuracy") for run in runs),
        final_val_accuracy=Statistic.of(_last_finite(run, "val_accuracy") for run in runs),
        best_val_accuracy=Statistic.of(_best(run, "val_accuracy") for run in runs),
        test_accuracy=Statistic.of(_test_accuracy(run) for run in runs),
        wall_time_s=Statistic.of(run["wall_time_s"] for run in runs),
        final_val_accuracy_interval=confidence_interval(
            _last_finite(run, "val_accuracy") for run in runs
        ),
        test_accuracy_interval=confidence_interval(_test_accuracy(run) for run in runs),
    )
    if target is None:
        return row
    reached = [_time_to_target(run, target) for run in runs]
    reached = [pair for pair in reached if pair is not None]
    return replace(
        row,
        target=target,
        epochs_to_target=Statistic.of(epoch for epoch, _ in reached),
        time_to_target_s=Statistic.of(seconds for _, seconds in reached),
    )


def describe_statuses(statuses) -> str:
    """Counts of each status in schema order, e.g. "2 completed, 1 diverged"."""
    statuses = list(statuses)
    counts = [(status, statuses.count(status)) for status in STATUSES]
    return ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in counts if count)


def _last_finite(run: dict, key: str) -> float | None:
    values = finite(run["history"].get(key, []))
    return values[-1] if values else None


def _best(run: dict, key: str) -> float | None:
    values = finite(run["history"].get(key, []))
    return max(values) if values else None


def _time_to_target(run: dict, target: float) -> tuple[int, float] | None:
    """(epoch, seconds) of the first epoch whose validation accuracy reaches `target`."""
    epochs = run["history"]
    accuracies = epochs.get("val_accuracy", [])
    times = epochs.get("epoch_time_s", [None] * len(accuracies))
    elapsed = 0.0
    for epoch, accuracy, seconds in zip(epochs["epoch"], accuracies, times, strict=False):
        elapsed += seconds or 0.0
        if accuracy is not None and accuracy >= target:
            return epoch, elapsed
    return None


def table_cells(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """The table's headers and cell texts, shared by the text and Markdown forms."""
    target = next((row.target for row in rows if row.target is not None), None)
    headers = ["optimizer", "seeds", *(header for _, header in ACCURACY_COLUMNS)]
    headers += ["test acc 95% CI", "vs best", "time (s)"]
    if target is not None:
        headers += [f"epochs to {_percent(target)}%", f"time to {_percent(target)}% (s)"]
    headers.append("status")
    return headers, [_cells(row, target is not None) for row in rows]


def _cells(row: Row, with_target: bool) -> list[str]:
    cells = [row.label, str(row.seeds)]
    for name, _ in ACCURACY_COLUMNS:
        cells.append(format_statistic(getattr(row, name), row.seeds, scale=100, digits=2))
    cells.append(format_interval(row.test_accuracy_interval, scale=100, digits=2))
    cells.append(row.versus_best.verdict)
    cells.append(format_statistic(row.wall_time_s, row.seeds, digits=1))
    if with_target:
        cells.append(format_statistic(row.epochs_to_target, row.seeds, digits=1))
        cells.append(format_statistic(row.time_to_target_s, row.seeds, digits=1))
    cells.append(row.statuses)
    return cells


def format_statistic(statistic: Statistic | None, runs: int, scale=1.0, digits=2) -> str:
    """ "98.12 ± 0.10", "98.12" for one value, blank for none; "(k/n)" if k < n runs."""
    if statistic is None or statistic.mean is None:
        return ""
    text = f"{statistic.mean * scale:.{digits}f}"
    if statistic.std is not None:
        text += f" ± {statistic.std * scale:.{digits}f}"
    if statistic.count < runs:
        text += f" ({statistic.count}/{runs})"
    return text


def format_interval(interval: tuple[float, float] | None, scale=1.0, digits=2) -> str:
    """ "[97.90, 98.34]", blank for none."""
    if interval is None:
        return ""
    low, high = (bound * scale for bound in interval)
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}"


def format_text(rows: list[Row]) -> str:
    """The table for a terminal: aligned columns, numbers right-aligned."""
    headers, body = table_cells(rows)
    widths = [max(len(line[index]) for line in [headers, *body]) for index in range(len(headers))]

    last = len(headers) - 1

    def line(cells: list[str]) -> str:
        # The label and the status read as words; the columns between are numbers.
        texts = [
            cell.ljust(width) if index in (0, last) else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(texts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(cells) for cells in body)]) + "\n"


def format_markdown(rows: list[Row]) -> str:
    """The table in GitHub Markdown, numeric columns right-aligned."""
    headers, body = table_cells(rows)
    alignments = [":--", *["--:"] * (len(headers) - 2), ":--"]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(headers), line(alignments), *(line(cells) for cells in body)]) + "\n"


def format_csv(rows: list[Row]) -> str:
    """The rows with raw numbers under `CSV_COLUMNS`; empty cells for missing values."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(["" if value is None else value for value in _csv_values(row)])
    return stream.getvalue()


def _csv_values(row: Row) -> list:
    """The values of `row` in the order of CSV_COLUMNS."""
    values = [row.label, row.optimizer, row.seeds, row.statuses]
    for name in [name for name, _ in ACCURACY_COLUMNS] + ["wall_time_s"]:
        statistic = getattr(row, name)
        values += [statistic.mean, statistic.std]
        if name == "final_val_accuracy":
            values += list(row.final_val_accuracy_interval or (None, None))
        if name == "test_accuracy":
            values += list(row.test_accuracy_interval or (None, None))
            values += [row.versus_best.verdict or None, row.versus_best.method or None]
    reached = row.epochs_to_target.count if row.epochs_to_target is not None else None
    values += [row.target, reached]
    for statistic in (row.epochs_to_target, row.time_to_target_s):
        values += [statistic.mean, statistic.std] if statistic is not None else [None, None]
    return values


def write_tables(rows: list[Row], folder: str | os.PathLike, stem: str = "summary") -> list[Path]:
    """Write `<stem>.md` and `<stem>.csv` into `folder` atomically; return their paths."""
    folder = Path(folder)
    markdown, table_csv = folder / f"{stem}.md", folder / f"{stem}.csv"
    write_text_atomic(markdown, format_markdown(rows))
    write_text_atomic(table_csv, format_csv(rows))
    return [markdown, table_csv]
