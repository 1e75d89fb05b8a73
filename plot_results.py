"""Draw the training curves, learning-rate sensitivity and results table of runs, or landscapes.

    python plot_results.py --optimizer adam
    python plot_results.py --optimizer all --experiment NAME --table --target 0.98
    python plot_results.py --metric lr
    python plot_results.py --sensitivity --sensitivity_metric final
    python plot_results.py --landscape rosenbrock --optimizer all
    python plot_results.py --export runs.csv --experiment NAME

Figures of runs read only the history files under results/ (never TensorFlow).
With no other flag, `--optimizer adam` draws the adam runs of the latest
experiment that has some; several optimizers are each taken from the latest
experiment that has them, unless `--experiment` names one.

`--export FILE.csv|FILE.parquet` writes the runs as a table instead of a
figure, one row per run per epoch (analysis/frame.py): those of
`--experiment`, or of every experiment under `--results_dir`.

`--landscape` is the one path that runs Keras: it steps the toolkit's own
optimizers on a 2-D test function (plotting/landscape.py) and draws their paths,
with those of Newton's method and L-BFGS beside them (plotting/second_order.py).
"""

from __future__ import annotations

import argparse
import math
import sys
from functools import partial
from pathlib import Path

from analysis.frame import check_export_path
from analysis.grouping import group_by_configuration
from analysis.loading import SelectionError, data_note, load_runs
from analysis.summary import format_text, summarize, write_tables
from plotting import second_order
from plotting.landscape import FUNCTIONS, LandscapeError
from plotting.output import FORMATS, OutputError, resolve_output
from plotting.runs import ALL, parse_optimizers, select_runs

PROGRAM = "plot_results.py"
METRICS = ("loss", "accuracy", "both", "lr")  # plotting.curves.CHOICES, without matplotlib
MAX_STEPS = 100_000
MAX_START = 1000.0  # farther out, f overflows or the contours lose all detail
LANDSCAPE_ONLY = ("steps", "start", "learning_rate", "second_order")
# What draws a figure: none of it applies to --export.
FIGURE_ONLY = ("landscape", "sensitivity", "table", "target", "metric", "output", "format",
               "show", "log_y")


class UsageError(Exception):
    """Bad input: reported as one line on stderr, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage block and exit
        if "--start" in message and "expected one argument" in message:
            message += " (write --start=-1.5,2 when X is negative)"
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
    parser.add_argument(
        "--metric",
        choices=METRICS,
        help="curves to draw: loss, accuracy, both (default) or lr, the learning rate per epoch",
    )
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
    parser.add_argument("--log_y", "--log-y", action="store_true", help="log scale for loss and lr")
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
    parser.add_argument(
        "--export",
        metavar="FILE.csv|FILE.parquet",
        help="instead of a figure, write the runs (of --experiment, default every experiment) "
        "as a table: one row per run per epoch, config columns flattened",
    )
    add_study_arguments(parser)
    return parser


def add_study_arguments(parser: Parser) -> None:
    """The flags of the learning-rate sensitivity figure, the landscapes and benchmarks."""
    parser.add_argument(
        "--profile",
        action="store_true",
        help="a benchmark's performance profiles, steps and seconds (with --experiment; "
        "--table then prints its verdict tables)",
    )
    parser.add_argument(
        "--sensitivity",
        action="store_true",
        help="validation accuracy against learning rate, one line per optimizer",
    )
    parser.add_argument(
        "--sensitivity_metric",
        "--sensitivity-metric",
        choices=("best", "final"),
        help="each run's best (default) or final validation accuracy",
    )
    parser.add_argument(
        "--landscape",
        choices=tuple(FUNCTIONS),
        help="run the optimizers on this 2-D function and draw their paths (imports Keras)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        help="--landscape: steps (default per function); second-order methods stop when converged",
    )
    parser.add_argument(
        "--learning_rate",
        "--learning-rate",
        type=float,
        help="--landscape: one rate for every optimizer (default: a table per function)",
    )
    parser.add_argument(
        "--start", help="--landscape: the start X,Y, e.g. --start=-1.5,2 (default per function)"
    )
    parser.add_argument(
        "--second_order",
        "--second-order",
        metavar="METHODS",
        help="--landscape: second-order methods drawn dashed beside the optimizers: "
        f"{', '.join(second_order.METHODS)}, a comma-separated list, or '{second_order.NONE}'"
        " (default: all of them)",
    )


def main(argv: list[str] | None = None) -> int:
    try:
        arguments = build_parser().parse_args(argv)
        check_arguments(arguments)
        if arguments.export is not None:
            return export(arguments)
        if arguments.profile or (arguments.table and is_benchmark(arguments)):
            return plot_benchmark(arguments)
        if arguments.landscape is not None:
            return plot_landscape(arguments)
        return plot(arguments)
    except (UsageError, SelectionError, OutputError, LandscapeError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return 2


def check_arguments(arguments) -> None:
    """Reject values out of range and flags that do not go together; parse --start."""
    if arguments.export is not None:
        _check_export(arguments)
    if arguments.target is not None and not 0 < arguments.target <= 1:
        raise UsageError(
            f"--target {arguments.target:g} is not a fraction in (0, 1], e.g. 0.98 for 98%"
        )
    if arguments.landscape is None:
        given = [name for name in LANDSCAPE_ONLY if getattr(arguments, name) is not None]
        if given:
            raise UsageError(f"--{given[0]} applies only with --landscape")
    else:
        _check_landscape(arguments)
    if arguments.sensitivity_metric is not None and not arguments.sensitivity:
        raise UsageError("--sensitivity_metric applies only with --sensitivity")
    if arguments.sensitivity and arguments.metric is not None:
        raise UsageError("--sensitivity draws validation accuracy; --metric does not apply")


def _check_export(arguments) -> None:
    try:
        check_export_path(arguments.export)
    except ValueError as error:
        raise UsageError(f"--export {error}") from None
    given = [name for name in FIGURE_ONLY if getattr(arguments, name) not in (None, False)]
    if given:
        raise UsageError(f"--export writes a table, no figure: --{given[0]} does not apply")


def _check_landscape(arguments) -> None:
    names = ("sensitivity", "table", "metric", "experiment", "dataset")
    others = [f"--{name}" for name in names if getattr(arguments, name)]
    if arguments.target is not None:
        others.append("--target")
    if others:
        raise UsageError(f"--landscape draws no results: {others[0]} does not apply")
    if arguments.steps is not None and not 1 <= arguments.steps <= MAX_STEPS:
        raise UsageError(f"--steps {arguments.steps} is not a whole number from 1 to {MAX_STEPS}")
    rate = arguments.learning_rate
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise UsageError(f"--learning_rate {rate:g} is not a positive number")
    if arguments.start is not None:
        arguments.start = parse_start(arguments.start)
    arguments.second_order = second_order.method_names(arguments.second_order)


def parse_start(text: str) -> tuple[float, float]:
    """ "-1.5,2" -> (-1.5, 2.0); UsageError for anything but two finite numbers."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y)):
        raise UsageError(f"--start {text!r} is not two numbers X,Y, e.g. --start=-1.5,2")
    if max(abs(x), abs(y)) > MAX_START:
        raise UsageError(f"--start {text!r} is too far out: |X| and |Y| at most {MAX_START:g}")
    return x, y


def is_benchmark(arguments) -> bool:
    from analysis.report import RESULTS_FILE

    return bool(arguments.experiment) and (
        Path(arguments.results_dir) / arguments.experiment / RESULTS_FILE).is_file()


def plot_benchmark(arguments) -> int:
    """--profile and --table of a benchmark experiment, from its results.json."""
    from analysis.report import RESULTS_FILE, read_results
    from analysis.report_text import benchmark_tables

    if not arguments.experiment:
        raise UsageError("--profile needs --experiment NAME (a benchmark's folder)")
    folder = Path(arguments.results_dir) / arguments.experiment
    try:
        results = read_results(folder)
    except (OSError, ValueError) as error:
        raise UsageError(f"{folder} holds no finished benchmark ({RESULTS_FILE}): "
                         f"{getattr(error, 'strerror', None) or error}") from None
    if arguments.table:
        print("\n".join(benchmark_tables(results)))
    if arguments.profile:
        from plotting.benchmark import draw_profiles

        output = resolve_output(arguments.output, arguments.format, folder, "profile")
        print(f"wrote {draw_profiles(results, output)}")
    return 0


def plot(arguments) -> int:
    """Figures of runs: curves (--metric) or the sensitivity figure, and the table."""
    optimizers = parse_optimizers(arguments.optimizer)
    runs = choose_runs(arguments, optimizers)
    experiments = sorted({run.experiment for run in runs})
    folder = runs[0].path.parent.parent if len(experiments) == 1 else Path(arguments.results_dir)
    names = ALL if optimizers is None else "-".join(optimizers)
    histories = [run.history for run in runs]
    figure_name, draw = _figure_of_runs(arguments, runs, experiments, histories)
    output = resolve_output(arguments.output, arguments.format, folder, f"{names}_{figure_name}")
    draw_and_save(arguments, draw, output)
    if arguments.table or arguments.target is not None:
        rows = summarize(histories, arguments.target)
        note = data_note(histories)
        print(format_text(rows) + (f"{note}\n" if note else ""), end="")
        stem = f"{output.stem}_table" if arguments.output else f"{names}_table"
        for path in _write_tables(rows, output.parent, stem, note):
            print(f"wrote {path}")
    return 0


def _figure_of_runs(arguments, runs, experiments, histories):
    """(the figure's name in its file name, a function drawing it on a `figure=` or a new one)."""
    # matplotlib loads here, after the runs are known to be good: errors stay fast.
    if arguments.sensitivity:
        from plotting.sensitivity import draw_sensitivity, sweep_warnings

        for warning in sweep_warnings(histories):
            print(f"{PROGRAM}: warning: {warning}", file=sys.stderr)
        which = arguments.sensitivity_metric or "best"
        title = _title(runs, experiments, "mean ± 1 std over seeds")
        return f"sensitivity_{which}", partial(draw_sensitivity, histories, which, title)
    from plotting.curves import draw_curves

    metric = arguments.metric or "both"
    configurations = group_by_configuration(histories)
    seeds = max(len(configuration.histories) for configuration in configurations)
    band = "± 1 std" if arguments.band == "std" else "min-max"
    several = seeds > 1 and metric != "lr"  # the rate is the same for every seed
    title = _title(runs, experiments, f"mean of {seeds} seeds, band {band}" if several else None)
    options = {"band": arguments.band, "log_y": arguments.log_y, "title": title}
    return metric, partial(draw_curves, configurations, metric, **options)


def plot_landscape(arguments) -> int:
    """Run the optimizers on a test function; print where each ended; draw the figure."""
    from plotting.landscape import describe, optimizer_names, trajectory
    from plotting.landscape_figure import draw_landscape

    function = FUNCTIONS[arguments.landscape]
    requested = parse_optimizers(arguments.optimizer)
    names = optimizer_names(requested)
    stem = f"landscape_{function.name}" + ("" if requested is None else "_" + "-".join(names))
    output = resolve_output(arguments.output, arguments.format, Path(arguments.results_dir), stem)
    start = arguments.start or function.start
    steps = arguments.steps or function.steps
    rate = arguments.learning_rate
    trajectories = [trajectory(name, function, start, steps, rate) for name in names]
    print("\n".join(map(describe, trajectories)))
    second = [second_order.METHODS[name](function, start, steps) for name in arguments.second_order]
    if second:
        print("\n".join(map(second_order.describe, second)))
    trajectories += second
    rates = "per optimizer" if rate is None else "one for all"
    title = f"{function.name} · {steps} steps from ({start[0]:g}, {start[1]:g}) · rates {rates}"
    if second:
        title += f" · dashed: second order, to max |∂f| ≤ {second_order.GRADIENT_TOLERANCE:g}"
    draw_and_save(arguments, partial(draw_landscape, function, trajectories, start, title), output)
    return 0


def export(arguments) -> int:
    """Write the runs' DataFrame (analysis/frame.py) to --export; pandas loads only here."""
    from analysis.frame import load_runs_and_problems, runs_frame, select, write_frame

    runs, problems = load_runs_and_problems(arguments.results_dir, arguments.experiment)
    for problem in problems:
        print(f"{PROGRAM}: warning: {problem}", file=sys.stderr)
    runs = select(runs, parse_optimizers(arguments.optimizer), arguments.dataset)
    frame = runs_frame(runs)
    try:
        path = write_frame(frame, arguments.export)
    except ImportError as error:  # Parquet without pyarrow
        raise OutputError(f"cannot write {arguments.export}: {error}") from None
    except OSError as error:
        raise OutputError(f"cannot write {arguments.export}: {error.strerror or error}") from None
    print(f"wrote {path} ({len(frame)} rows, {len(runs)} run{'s' if len(runs) > 1 else ''})")
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


def draw_and_save(arguments, draw, output: Path) -> None:
    """`draw(figure=...)` on a window's figure with --show (else on a new one), then save it."""
    from plotting.output import save_figure, show_windows, window_figure

    window = window_figure() if arguments.show else None
    if arguments.show and window is None:
        print(
            f"{PROGRAM}: no display or interactive backend to show the figure; saving it only",
            file=sys.stderr,
        )
    save_figure(draw(figure=window), output)
    print(f"wrote {output}")
    if window is not None:
        show_windows()


def _title(runs, experiments: list[str], note: str | None) -> str:
    """What was trained and where, e.g. "mnist / cnn · exp1 · mean of 2 seeds, band ± 1 std"."""
    pairs = sorted({(run.data_label, run.model) for run in runs})
    parts = ["; ".join(f"{dataset} / {model}" for dataset, model in pairs)]
    parts.append(experiments[0] if len(experiments) == 1 else f"{len(experiments)} experiments")
    if note:
        parts.append(note)
    return " · ".join(parts)


def _write_tables(rows, folder: Path, stem: str, note: str | None) -> list[Path]:
    try:
        return write_tables(rows, folder, stem, note)
    except OSError as error:
        raise OutputError(
            f"cannot write the table in {folder}: {error.strerror or error}"
        ) from None


if __name__ == "__main__":
    if any(argument.split("=")[0] == "--landscape" for argument in sys.argv[1:]):
        from training.startup import quiet_tensorflow_start

        quiet_tensorflow_start()  # --landscape imports TensorFlow: drop its start-up lines
    raise SystemExit(main())
