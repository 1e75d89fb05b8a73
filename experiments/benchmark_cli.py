"""`train_model.py --suite NAME ...`: the benchmark's command line.

    python train_model.py --suite small --optimizer all --tuning_trials 8 --seed 0,1,2 \\
        --data_dir ../shared/data/mnist-subset
    python train_model.py --suite smoke --ruleset defaults
    python train_model.py --suite small --workers 2          # two runs at once (or --ray auto)
    python train_model.py --suite small --experiment NAME --resume   # same flags as started

Everything is checked (suite, problems, optimizers, search spaces, K, targets,
data) before the experiment folder is made; bad input is one line on stderr
and exit status 2, with nothing written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.config import DEVICES, ConfigError

DEFAULT_TRIALS = 8


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ConfigError(message)


def seed_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected integers separated by commas, got {text!r}") from None


def build_parser(prog: str) -> Parser:
    from experiments.benchmark import RULESETS

    parser = Parser(prog=prog, allow_abbrev=False, description="Run a benchmark suite.")
    add = parser.add_argument
    add("--suite", required=True,
        help="a suite of configs/suites (smoke, small, small_subset, full) or a suite file")
    add("--optimizer", default="all", help="comma list of optimizers, or all (the seven)")
    add("--ruleset", choices=RULESETS, default="tuned",
        help="tuned: K trials each from its search space; defaults: its own defaults")
    add("--tuning_trials", "--tuning-trials", type=int, default=DEFAULT_TRIALS, metavar="K")
    add("--search_space", "--search-space", metavar="FILE.yaml",
        help="optimizer -> {hyperparameter: {low, high, scale}} replacing the records' spaces")
    add("--seed", type=seed_list, default=[0], help="seeds of the final runs (trials: first)")
    add("--target", type=float, help="replace every problem's validation accuracy target")
    add("--data_dir", "--data-dir")
    add("--output_dir", "--output-dir", default="results")
    add("--experiment", help="folder name (default <suite>_<ruleset>_<timestamp>)")
    add("--resume", action="store_true", help="continue --experiment without repeating a run")
    add("--device", choices=DEVICES, default="auto")
    add("--quiet", action="store_true", help="one line per evaluation")
    add("--workers", type=int, default=1, metavar="N",
        help="train up to N runs at once in worker processes (README: Scale out)")
    add("--threads_per_run", "--threads-per-run", type=int, metavar="N",
        help="TensorFlow CPU threads of each run (default: cores / workers)")
    add("--ray", metavar="ADDRESS", help="run the runs as tasks of this Ray cluster (or auto)")
    return parser


def plan(arguments):
    """The Benchmark the arguments describe; ConfigError (or DataError) on bad input."""
    from experiments import problems, tuning
    from experiments.benchmark import Benchmark
    from experiments.grid import optimizer_names

    for flag in ("workers", "threads_per_run"):
        value = getattr(arguments, flag)
        if value is not None and value < 1:
            raise ConfigError(f"--{flag} {value} is not allowed; expected a whole number >= 1")
    if arguments.tuning_trials < 1:
        raise ConfigError(f"--tuning_trials {arguments.tuning_trials} is not allowed; "
                          "expected a whole number >= 1")
    if len(set(arguments.seed)) != len(arguments.seed):
        raise ConfigError(f"--seed {','.join(map(str, arguments.seed))} repeats a seed")
    suite = problems.override_target(problems.load_suite(arguments.suite), arguments.target)
    names = optimizer_names(tuple(part.strip() for part in arguments.optimizer.split(",")))
    tuned = arguments.ruleset == "tuned"
    spaces = tuning.search_spaces(names, arguments.search_space) if tuned else {}
    runtime = {"device": arguments.device, "verbose": 2 if arguments.quiet else 1,
               "keep_checkpoints": False}
    return Benchmark(Path(arguments.suite).stem, suite, names, arguments.ruleset,
                     arguments.tuning_trials if tuned else 0, list(arguments.seed), spaces,
                     arguments.data_dir, arguments.output_dir, arguments.experiment,
                     arguments.resume, runtime)


def preflight(benchmark) -> None:
    """Load every data set once (kept in memory for the runs): missing data fails here."""
    from training.runner import load_arrays

    for dataset in dict.fromkeys(problem.dataset for problem in benchmark.problems):
        load_arrays(dataset, benchmark.data_dir)


def main(argv, prog: str = "train_model.py", executor=None, draw_figures=None) -> int:
    """Plan, check, run and report a benchmark; the exit status. `draw_figures`: see
    `experiments.benchmark.run_benchmark`."""
    import data
    from experiments.benchmark import prepare_folder, run_benchmark
    from experiments.dispatch import RunLost
    from experiments.execute import executor_for
    from experiments.guard import Interrupted, interruptible

    try:
        arguments = build_parser(prog).parse_args(argv)
        benchmark = plan(arguments)
        executor = executor or executor_for(arguments)  # an unreachable Ray cluster: here
        if arguments.workers == 1 and not arguments.ray:
            from experiments.workers import limit_threads

            limit_threads(arguments.threads_per_run)  # the runs train in this process
        preflight(benchmark)
        folder = prepare_folder(benchmark)
    except (ConfigError, data.DataError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    try:
        with interruptible():  # each run is claimed by the executor (experiments.claims)
            run_benchmark(benchmark, folder, executor, draw_figures)
    except ConfigError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except RunLost as error:
        print(f"{prog}: error: {error}; resume with the same flags and "
              f"--experiment {folder.name} --resume", file=sys.stderr)
        return 1
    except Interrupted as stop:
        print(f"\n{prog}: stopped by {stop.signal_name}; resume with the same flags and "
              f"--experiment {folder.name} --resume", file=sys.stderr)
        return stop.exit_status
    return 0
