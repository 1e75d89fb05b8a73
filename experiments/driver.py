"""An experiment: plan (a manifest of run specs) -> execute -> summarize (from the files).

`run_experiment(config)` is what `train_model.py` runs after parsing: it plans
and checks everything before it writes anything, then hands the specs to an
executor (`experiments.execute`: this process, local workers or a Ray cluster;
each run under its own claim, `experiments.claims`), and ends with the
comparison table of the runs' history files.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
import tempfile
from pathlib import Path

import data
from analysis import summary
from analysis.history import FILENAME, HistoryError
from analysis.loading import data_note, load_run
from experiments.config import ConfigError, ExperimentConfig
from experiments.dispatch import Executor, RunLost
from experiments.execute import executor_for
from experiments.guard import Interrupted, interruptible
from experiments.plan import plan_experiment
from training import distribute  # imports TensorFlow only when a strategy is built


def run_experiment(config: ExperimentConfig, prog: str = "train_model.py", argv=(),
                   executor: Executor | None = None) -> int:
    """Train every run of `config`; the exit status for the command line.

    `executor` (`experiments.execute`) runs the manifest; None: the one `config` asks for
    (`--workers`, `--ray`), else this process.
    """
    try:  # first, so that an unreachable Ray cluster is reported before TensorFlow loads
        distribute.check_request(config.distribute, config.replicas, config.workers,
                                 config.ray, config.experiment, scale_lr=config.scale_lr)
        executor = executor or executor_for(config)
    except (ConfigError, ValueError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    from experiments.workers import limit_threads  # TensorFlow: only after parsing
    from training.environment import select_device
    from training.preflight import preflight

    plan = None
    try:
        if config.workers == 1 and not config.ray:
            limit_threads(config.threads_per_run)  # the runs train in this process
        device = select_device(config.device)
        replicas = start_strategy(config)  # before anything else starts TensorFlow
        plan = plan_experiment(config)
        writes = distribute.is_chief(config.distribute)
        preflight(plan.specs, plan.folder if writes else Path(tempfile.gettempdir()))
    except (ConfigError, data.DataError, ValueError, OSError) as error:
        if plan is not None and not config.resume:
            discard_if_empty(plan.folder)  # bad input leaves nothing behind
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    count = len(plan.specs)
    print(f"Device: {device}" + (f", {replicas} replicas in sync" if replicas > 1 else ""))
    print(f"Experiment: {plan.folder} ({count} run{'s' if count > 1 else ''})")
    status, message = 0, None
    try:
        with interruptible():
            for _ in executor(plan.specs):
                pass
    except (RunLost, distribute.WorkerLost) as error:
        every = config.distribute == "multi_worker"
        where = " (on every worker, TF_CONFIG as before)" if every else ""
        status, message = 1, (f"{prog}: error: {error}. Resume with{where}:\n  "
                              f"{resume_command(prog, argv, plan.folder)}")
    except Interrupted as stop:
        status, message = stop.exit_status, (
            f"\n{prog}: stopped by {stop.signal_name}; finished epochs are saved. "
            f"Resume with:\n  {resume_command(prog, argv, plan.folder)}")
    finally:
        if writes:  # a multi-worker non-chief trained the same runs: the chief reports
            report(plan.specs, plan.folder)
    if message:  # last, after the table
        print(message, file=sys.stderr)
    return status


def start_strategy(config: ExperimentConfig) -> int:
    """Build this process's tf.distribute strategy (`training.distribute`); the replicas in
    sync (whether they can share each run's batches, the preflight checks). ValueError."""
    return distribute.replicas_in_sync(distribute.get_strategy(config.distribute,
                                                               config.replicas))


def discard_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()  # only an empty folder is removed


def resume_command(prog: str, argv, folder: Path) -> str:
    """The command that continues this experiment."""
    arguments = [argument for argument in argv if argument != "--resume"]
    if not any(argument.split("=")[0] == "--experiment" for argument in arguments):
        arguments += ["--experiment", folder.name]
    return shlex.join(["python", prog, *arguments, "--resume"])


def report(specs: list[dict], experiment: Path) -> None:
    """Print the comparison table of the experiment's runs on disk and write it beside them:
    this invocation's runs first, then any others the folder holds (an earlier invocation's,
    resumed with other settings), so summary.md always covers the whole folder."""
    folders = [Path(spec["folder"]) for spec in specs]
    folders += sorted(path.parent for path in experiment.glob(f"*/{FILENAME}")
                      if path.parent not in folders)
    histories = []
    for folder in folders:
        try:
            histories.append(load_run(folder / FILENAME).history)
        except (HistoryError, OSError):
            continue  # never started, or left unreadable: not a row of the table
    if not histories:
        return
    rows = summary.summarize(histories)
    note = data_note(histories)
    print("\n" + summary.format_text(rows) + (f"\n{note}" if note else ""))
    for path in summary.write_tables(rows, experiment, note=note):
        print(f"Wrote {path}")
