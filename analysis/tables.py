"""The results table's rows, and the table as text, Markdown and CSV.

Pure Python. `analysis.summary` computes the rows and describes the columns; `summary.csv`
keeps the same rows with raw numbers under `CSV_COLUMNS`.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from analysis.history import write_text_atomic
from analysis.statistics import Comparison, Statistic


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


def write_tables(rows: list[Row], folder: str | os.PathLike, stem: str = "summary",
                 note: str | None = None) -> list[Path]:
    """Write `<stem>.md` and `<stem>.csv` into `folder` atomically; return their paths.

    `note`, when given, is a paragraph above the Markdown table (e.g. that some runs
    trained on the bundled sample: `analysis.loading.data_note`).
    """
    folder = Path(folder)
    markdown, table_csv = folder / f"{stem}.md", folder / f"{stem}.csv"
    text = format_markdown(rows)
    write_text_atomic(markdown, f"{note}\n\n{text}" if note else text)
    write_text_atomic(table_csv, format_csv(rows))
    return [markdown, table_csv]
