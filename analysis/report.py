"""A benchmark's results file (results.json) and its report (report.md), from the runs on disk.

results.json, one per experiment, so that results of two machines sit side by side:

    {"format": "optimizer-benchmark/1",
     "protocol": {...benchmark.json: suite, ruleset, problems with budgets and targets,
                  optimizers, tuning_trials, seeds, search_spaces, data_dir},
     "environment": {python, tensorflow, keras, device, git_commit, optuna, scipy, numpy},
     "best": {problem: {optimizer: {"trial", "objective", "hyperparameters"}}},
     "trials": {problem: {optimizer: [{"trial", "hyperparameters", "status", "steps",
                                       "seconds", "best_accuracy", "objective"}]}},
     "finals": {problem: {optimizer: [{"seed", "hyperparameters", "status", "steps",
                                       "seconds", "best_accuracy"}]}},
     "per_problem": {"steps" | "seconds": {problem: {optimizer: {"median", "low", "high",
                                                                  "reached", "seeds"}}}},
     "scores": {"steps" | "seconds": {"ratios": {optimizer: {problem: r}},
                                      "scores": {optimizer: B}}},
     "tau_max": 4, "run_wall_time_s": total seconds of every run}

JSON has no infinity: a time or ratio of null means the target was not reached
(an interval end of null: unbounded, or fewer than two seeds). Pure Python; the
figures report.md shows are drawn by plotting/benchmark.py.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

from analysis.benchmark import (
    best_accuracy,
    per_problem,
    score_table,
    times_to_target,
    trial_objective,
)
from analysis.history import FILENAME, read_history, write_json_atomic, write_text_atomic
from analysis.profiles import TAU_MAX
from analysis.report_text import markdown_report

FORMAT = "optimizer-benchmark/1"
RESULTS_FILE = "results.json"
REPORT_FILE = "report.md"
PROFILE_FIGURE = "profile.png"


def run_record(history: dict, target: float) -> dict:
    times = times_to_target(history, target)
    optimizer = {key: value for key, value in history["config"]["optimizer"].items()
                 if key != "name"}
    return {"hyperparameters": optimizer, "status": history["status"], **times,
            "best_accuracy": best_accuracy(history), "wall_time_s": history["wall_time_s"]}


def collect_results(folder: Path, protocol: dict, best: dict) -> dict:
    """The results of the benchmark in `folder` (every run finished), as results.json holds."""
    finals, trials, histories, wall = {}, {}, {}, 0.0
    for problem_name, problem in protocol["problems"].items():
        target = problem["target"]
        for name in protocol["optimizers"]:
            runs = [read_history(folder / f"{problem_name}-{name}-seed{seed}" / FILENAME)
                    for seed in protocol["seeds"]]
            histories.setdefault(problem_name, {})[name] = runs
            finals.setdefault(problem_name, {})[name] = [
                {"seed": seed, **run_record(run, target)}
                for seed, run in zip(protocol["seeds"], runs, strict=True)]
            wall += sum(run["wall_time_s"] for run in runs)
            for number in range(protocol["tuning_trials"] or 0):
                trial = read_history(folder / f"{problem_name}-{name}-trial{number:02d}"
                                     / FILENAME)
                wall += trial["wall_time_s"]
                trials.setdefault(problem_name, {}).setdefault(name, []).append(
                    {"trial": number, **run_record(trial, target),
                     "objective": trial_objective(trial, target)})
    targets = {name: problem["target"] for name, problem in protocol["problems"].items()}
    table = per_problem(histories, targets)
    first = next(iter(next(iter(histories.values())).values()))[0]
    return {"format": FORMAT, "protocol": protocol, "environment": environment(first),
            "best": best, "trials": trials, "finals": finals, "per_problem": table,
            "scores": score_table(table, TAU_MAX), "tau_max": TAU_MAX,
            "run_wall_time_s": wall}


def environment(history: dict) -> dict:
    """The environment a run recorded, with the analysis libraries' versions added."""
    versions = {}
    for package in ("optuna", "scipy", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {**history["environment"], **versions}


def write_report(folder: Path, results: dict) -> list[Path]:
    """results.json and report.md (which shows the figures `plotting.benchmark` draws:
    `PROFILE_FIGURE` and `curves_figure(problem)`)."""
    write_json_atomic(folder / RESULTS_FILE, results)
    figures = {"profile": PROFILE_FIGURE,
               **{problem: curves_figure(problem) for problem in results["protocol"]["problems"]}}
    write_text_atomic(folder / REPORT_FILE, markdown_report(results, figures))
    return [folder / RESULTS_FILE, folder / REPORT_FILE]


def curves_figure(problem: str) -> str:
    return f"curves_{problem}.png"


def read_results(folder: Path) -> dict:
    """A benchmark's results.json; OSError or ValueError when it cannot be read."""
    results = json.loads((Path(folder) / RESULTS_FILE).read_text(encoding="utf-8"))
    if not isinstance(results, dict) or results.get("format") != FORMAT:
        raise ValueError(f"{folder / RESULTS_FILE}: not a {FORMAT} results file")
    return results
