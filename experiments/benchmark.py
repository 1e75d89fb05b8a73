"""A benchmark: problems x optimizers under a tuning ruleset, scored by time to target.

    plan (problems, optimizers, search spaces, folder: nothing trained yet)
    -> tuning trials (ruleset "tuned": K per problem and optimizer, `experiments.tuning`)
    -> the best trial's hyperparameters re-run on every seed (ruleset "defaults": the
       optimizer's own defaults, no trials)
    -> results.json and report.md (`analysis.benchmark`, `analysis.report`)

Every run is an ordinary run spec (`training.runner.run_one`) in its own folder of
the experiment, `<problem>-<optimizer>-trialNN` or `<problem>-<optimizer>-seedS`,
handed to an executor (`experiments.execute`), so the runs may go to worker
processes or a cluster. Trials run on the first seed of `seeds`. The
protocol (what defines the experiment) is saved as benchmark.json before any
run, and `resume` refuses to continue under another one.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from analysis.benchmark import trial_objective
from analysis.history import FILENAME, read_history, write_json_atomic
from experiments.config import ConfigError
from experiments.problems import Problem

PROTOCOL_FILE = "benchmark.json"
RULESETS = ("tuned", "defaults")


@dataclass(frozen=True)
class Benchmark:
    """What defines a benchmark experiment, and where and how it runs."""

    suite: str
    problems: list[Problem]
    optimizers: list[str]
    ruleset: str
    tuning_trials: int
    seeds: list[int]
    search_spaces: dict
    data_dir: str | None = None
    output_dir: str = "results"
    experiment: str | None = None
    resume: bool = False
    runtime: dict = field(default_factory=dict)

    def protocol(self) -> dict:
        """The JSON that defines the experiment (saved as benchmark.json)."""
        tuned = self.ruleset == "tuned"
        return {"suite": self.suite, "ruleset": self.ruleset,
                "problems": {problem.name: problem.as_dict() for problem in self.problems},
                "optimizers": list(self.optimizers),
                "tuning_trials": self.tuning_trials if tuned else None,
                "tuning_seed": self.seeds[0] if tuned else None, "seeds": list(self.seeds),
                "search_spaces": self.search_spaces if tuned else None,
                "data_dir": self.data_dir}

    def run_count(self) -> int:
        per_pair = len(self.seeds) + (self.tuning_trials if self.ruleset == "tuned" else 0)
        return len(self.problems) * len(self.optimizers) * per_pair


def prepare_folder(benchmark: Benchmark) -> Path:
    """The experiment folder, created (new) or checked (resume); ConfigError on a mismatch."""
    output = Path(benchmark.output_dir)
    stamp = f"{datetime.now():%Y%m%d-%H%M%S}"
    name = benchmark.experiment or f"{benchmark.suite}_{benchmark.ruleset}_{stamp}"
    folder = output / name
    protocol_path = folder / PROTOCOL_FILE
    if benchmark.resume:
        if not protocol_path.is_file():
            raise ConfigError(f"--resume: {folder} holds no benchmark ({PROTOCOL_FILE})")
        saved = json.loads(protocol_path.read_text(encoding="utf-8"))
        if saved != json.loads(json.dumps(benchmark.protocol())):
            changed = sorted(key for key in saved if saved[key] != benchmark.protocol().get(key))
            raise ConfigError(f"--resume: {folder} was started with other {', '.join(changed)}; "
                              "resume with the settings it started with")
        return folder
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(f"experiment folder {folder} is not empty; continue it with --resume "
                          "or choose another --experiment")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot write to output folder {folder}: {error.strerror}") from None
    return folder


def save_protocol(benchmark: Benchmark, folder: Path) -> None:
    write_json_atomic(folder / PROTOCOL_FILE, benchmark.protocol())


def run_spec(benchmark: Benchmark, problem: Problem, optimizer: str, hyperparameters: dict,
             seed: int, folder: Path) -> dict:
    """The run spec of `optimizer` (its defaults updated by `hyperparameters`) on `problem`."""
    import optimizers

    config = {
        "problem": {"name": problem.name, "dataset": problem.dataset, "subset": problem.subset,
                    "validation_split": problem.validation_split,
                    "data_dir": benchmark.data_dir, "target": problem.target},
        "model": {"name": problem.model, "init": "he", "dropout": None, "batch_norm": True,
                  "l2": 0.0},
        "optimizer": {"name": optimizer, **optimizers.hyperparameters(optimizer),
                      **hyperparameters},
        "schedule": {"name": "constant", "warmup_epochs": 0},
        "execution": {"epochs": problem.epochs, "batch_size": problem.batch_size, "seed": seed,
                      "early_stopping": None, "divergence_threshold": None,
                      "eval_every_steps": problem.eval_every_steps},
    }
    return {"config": config, "folder": str(folder), "runtime": dict(benchmark.runtime)}


class Progress:
    """Overall progress lines: run i of N, elapsed time, and an estimate of the rest."""

    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.monotonic()

    def advance(self, what: str) -> None:
        self.done += 1
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        print(f"benchmark: run {self.done} of {self.total} done ({what}); elapsed "
              f"{clock(elapsed)}, about {clock(left)} to go", flush=True)


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def execute(executor, specs: list[dict], progress: Progress, phase: str) -> None:
    for _ in executor(specs):
        progress.advance(phase)


def trial_folder(folder: Path, problem: str, optimizer: str, number: int) -> Path:
    return folder / f"{problem}-{optimizer}-trial{number:02d}"


def tuning_phase(benchmark: Benchmark, folder: Path, executor, progress: Progress) -> dict:
    """Run every trial; best[problem][optimizer] = {"trial", "objective", "hyperparameters"}."""
    from experiments import tuning

    storage = tuning.open_storage(folder)
    studies, specs = {}, []
    for problem in benchmark.problems:
        for name in benchmark.optimizers:
            study = tuning.open_study(storage, f"{problem.name}/{name}", benchmark.seeds[0])
            with tuning.asking(folder):
                trials = tuning.trials_of(study, benchmark.search_spaces[name],
                                          benchmark.tuning_trials)
            studies[problem, name] = (study, trials)
            specs += [run_spec(benchmark, problem, name, trial.params, benchmark.seeds[0],
                               trial_folder(folder, problem.name, name, trial.number))
                      for trial in trials]
    execute(executor, specs, progress, "tuning trial")
    best = {}
    for (problem, name), (study, trials) in studies.items():
        best.setdefault(problem.name, {})[name] = best_trial(folder, problem, name, study,
                                                             trials)
    return best


def best_trial(folder: Path, problem: Problem, optimizer: str, study, trials: list) -> dict:
    """Tell the study each trial's objective (`analysis.benchmark.trial_objective`); the
    lowest, ties to the earlier trial."""
    from experiments import tuning

    ranked = []
    for trial in trials:
        path = trial_folder(folder, problem.name, optimizer, trial.number) / FILENAME
        objective = trial_objective(read_history(path), problem.target)
        tuning.tell(study, trial, objective)
        ranked.append((objective, trial.number, trial.params))
    objective, number, params = min(ranked, key=lambda item: item[:2])
    return {"trial": number, "objective": objective, "hyperparameters": dict(params)}


def final_phase(benchmark: Benchmark, folder: Path, best: dict, executor,
                progress: Progress) -> None:
    """Every problem and optimizer on every seed, at its best (or default) hyperparameters."""
    specs = []
    for problem in benchmark.problems:
        for name in benchmark.optimizers:
            chosen = best[problem.name][name]["hyperparameters"] if best else {}
            specs += [run_spec(benchmark, problem, name, chosen, seed,
                               folder / f"{problem.name}-{name}-seed{seed}")
                      for seed in benchmark.seeds]
    execute(executor, specs, progress, "final run")


def run_benchmark(benchmark: Benchmark, folder: Path, executor, draw_figures=None) -> dict:
    """Tune (ruleset "tuned"), run the finals, and write results.json and report.md;
    `draw_figures(folder, results) -> paths` draws report.md's figures (the script passes
    `plotting.benchmark.draw_figures`: this floor does not draw).

    The caller holds the experiment's lock; returns the results (`analysis.report`).
    """
    from analysis.report import collect_results, write_report

    save_protocol(benchmark, folder)
    progress = Progress(benchmark.run_count())
    print(f"benchmark: {benchmark.run_count()} runs ({benchmark.ruleset}) in {folder}",
          flush=True)
    best = tuning_phase(benchmark, folder, executor, progress) \
        if benchmark.ruleset == "tuned" else {}
    final_phase(benchmark, folder, best, executor, progress)
    results = collect_results(folder, benchmark.protocol(), best)
    paths = write_report(folder, results)
    for path in [*paths, *(draw_figures(folder, results) if draw_figures else [])]:
        print(f"Wrote {path}")
    return results
