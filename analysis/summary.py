"""The results table: one row per configuration, mean and spread over its seeds.

Pure Python (no TensorFlow, no matplotlib): `train_model.py` prints this table at
the end of an experiment and writes it beside the runs; `plot_results.py --table`
prints and writes the same table from the history files.

Runs whose configs are equal except for execution.seed form one configuration
(`analysis.grouping`). A row's label is the optimizer name, plus the settings
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
                          mean ± t(0.975, n-1) · s / √n over the n seeds, cut
                          to 0-100% (blank with one seed)
    vs best               "best" for the configuration with the highest mean test
                          accuracy; "≈ best" where a test cannot tell it from
                          the best at the 5% level, "< best" where it can (below);
                          blank when only one configuration has a test accuracy
    time (s)              wall_time_s, the run's training and evaluation time
    epochs to X%          only with a target: the first epoch whose validation
    time to X% (s)        accuracy is >= target, and the training seconds until then
                          (`analysis.targets.time_to_target`: train_time_s summed,
                          evaluation excluded); over the seeds that reached it
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
Quantiles and formulas: `analysis.statistics`.

`summary.csv` keeps the same rows with raw numbers (accuracies as fractions, as
in the history files) and always the same columns, `CSV_COLUMNS`; the target
columns are empty without a target.
"""

from __future__ import annotations

from dataclasses import replace

from analysis.grouping import Configuration, group_by_configuration  # noqa: F401 (re-export)
from analysis.history import STATUSES
from analysis.statistics import Statistic, compare_with_best, confidence_interval, finite

# The rows and their text, Markdown and CSV forms live in analysis.tables; callers reach
# them here too.
from analysis.tables import (  # noqa: F401
    CSV_COLUMNS,
    Row,
    format_csv,
    format_markdown,
    format_statistic,
    format_text,
    table_cells,
    write_tables,
)
from analysis.targets import time_to_target


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
    return {run["config"]["execution"]["seed"]: _test_accuracy(run)
            for run in configuration.histories}


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
        final_val_accuracy_interval=_accuracy_interval(
            _last_finite(run, "val_accuracy") for run in runs
        ),
        test_accuracy_interval=_accuracy_interval(_test_accuracy(run) for run in runs),
    )
    if target is None:
        return row
    reached = [time_to_target(run, "val_accuracy", target) for run in runs]
    reached = [record for record in reached if record is not None]
    return replace(
        row,
        target=target,
        epochs_to_target=Statistic.of(record["epoch"] for record in reached),
        time_to_target_s=Statistic.of(record["train_time_s"] for record in reached),
    )


def _accuracy_interval(values) -> tuple[float, float] | None:
    """The 95% interval, cut to [0, 1]: with two seeds, t = 12.7 can reach past 100%."""
    interval = confidence_interval(values)
    return None if interval is None else (max(interval[0], 0.0), min(interval[1], 1.0))


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
