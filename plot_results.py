"""Draw the training curves and the results table of runs written by train_model.py.

    python plot_results.py --optimizer adam
    python plot_results.py --optimizer all --experiment NAME --table --target 0.98

Reads only the history files under results/ (never TensorFlow). With no other
flag, `--optimizer adam` draws the adam runs of the latest experiment that has
some; several optimizers are each taken from the latest experiment that has
them, unless `--experiment` names one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from plotting.output import FORMATS, OutputError, resolve_output
from plotting.runs import ALL, SelectionError, load_runs, parse_optimizers, select_runs
from training.grouping import group_by_configuration
from training.summary import format_text, summarize, write_tables

PROGRAM = "plot_results.py"


class UsageError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage block and exit
        raise UsageError(f"{message} (see --help)")


def build_parser() -> Parser:
    parser = Parser(prog=PROGRAM, description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--optimizer", default=ALL, help="an optimizer, a comma-separated list, or 'all' (default)"
    )
    parser.add_argument(
        "--results_dir",
        "--results-dir",
        default="results",
        help="where train_model.py wrote its runs (default: results)",
    )
    parser.add_argument("--experiment", help="the experiment folder to draw (default: latest)")
    parser.add_argument("--dataset", help="only runs on this dataset")
    parser.add_argument("--metric", choices=("loss", "accuracy", "both"), default="both")
    parser.add_argument(
        "--band",
        choices=("std", "minmax"),
        default="std",
        help="shaded band over seeds: standard deviation or min-max",
    )
    parser.add_argument(
        "--format",
        type=str.lower,
        choices=FORMATS,
        help="figure format (default: png, or the suffix of --output)",
    )
    parser.add_argument("--output", help="figure path (default: beside the results)")
    parser.add_argument("--log_y", "--log-y", action="store_true", help="log scale for loss")
    parser.add_argument("--show", action="store_true", help="also open a window, if possible")
    parser.add_argument(
        "--table",
        action="store_true",
        help="print the results table and write it as Markdown and CSV",
    )
    parser.add_argument(
        "--target",
        type=float,
        help="validation accuracy (e.g. 0.98) for epochs/time to reach; implies --table",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        arguments = build_parser().parse_args(argv)
        if arguments.target is not None and not 0 < arguments.target <= 1:
            raise UsageError(
                f"--target {arguments.target:g} is not a fraction in (0, 1], e.g. 0.98 for 98%"
            )
        return plot(arguments)
    except (UsageError, SelectionError, OutputError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return 2


def plot(arguments) -> int:
    optimizers = parse_optimizers(arguments.optimizer)
    runs = choose_runs(arguments, optimizers)
    experiments = sorted({run.experiment for run in runs})
    folder = runs[0].path.parent.parent if len(experiments) == 1 else Path(arguments.results_dir)
    names = ALL if optimizers is None else "-".join(optimizers)
    output = resolve_output(
        arguments.output, arguments.format, folder, f"{names}_{arguments.metric}"
    )
    histories = [run.history for run in runs]
    configurations = group_by_configuration(histories)
    title = _title(runs, experiments, configurations, arguments.band)
    draw_and_save(arguments, configurations, output, title)
    if arguments.table or arguments.target is not None:
        rows = summarize(histories, arguments.target)
        print(format_text(rows), end="")
        stem = f"{output.stem}_table" if arguments.output else f"{names}_table"
        for path in _write_tables(rows, output.parent, stem):
            print(f"wrote {path}")
    return 0


def choose_runs(arguments, optimizers: list[str] | None) -> list:
    """The runs to draw; a warning on stderr for each file skipped and for mixed datasets."""
    runs, problems = load_runs(arguments.results_dir, arguments.experiment)
    for problem in problems:
        print(f"{PROGRAM}: warning: {problem}", file=sys.stderr)
    runs = select_runs(runs, optimizers, arguments.dataset)
    datasets = sorted({run.dataset for run in runs})
    if len(datasets) > 1:
        print(
            f"{PROGRAM}: warning: the runs drawn are on different datasets "
            f"({', '.join(datasets)}); pass --dataset or --experiment",
            file=sys.stderr,
        )
    return runs


def draw_and_save(arguments, configurations, output: Path, title: str) -> None:
    # matplotlib loads here, after the input is known to be good: errors stay fast.
    from plotting.curves import draw_curves
    from plotting.output import save_figure, show_windows, window_figure

    window = window_figure() if arguments.show else None
    if arguments.show and window is None:
        print(
            f"{PROGRAM}: no display or interactive backend to show the figure; saving it only",
            file=sys.stderr,
        )
    figure = draw_curves(
        configurations, arguments.metric, arguments.band, arguments.log_y, title, figure=window
    )
    save_figure(figure, output)
    print(f"wrote {output}")
    if window is not None:
        show_windows()


def _title(runs, experiments: list[str], configurations, band: str) -> str:
    """What was trained and where, e.g. "mnist / cnn · exp1 · mean of 2 seeds, band ± 1 std"."""
    pairs = sorted({(run.dataset, str(run.history["config"]["model"])) for run in runs})
    parts = ["; ".join(f"{dataset} / {model}" for dataset, model in pairs)]
    parts.append(experiments[0] if len(experiments) == 1 else f"{len(experiments)} experiments")
    seeds = max(len(configuration.histories) for configuration in configurations)
    if seeds > 1:
        parts.append(f"mean of {seeds} seeds, band " + ("± 1 std" if band == "std" else "min-max"))
    return " · ".join(parts)


def _write_tables(rows, folder: Path, stem: str) -> list[Path]:
    try:
        return write_tables(rows, folder, stem)
    except OSError as error:
        raise OutputError(
            f"cannot write the table in {folder}: {error.strerror or error}"
        ) from None


if __name__ == "__main__":
    raise SystemExit(main())
