"""A benchmark's figures: performance profiles, and each problem's curves of the final runs.

Built as `matplotlib.figure.Figure` without pyplot, from a results dict
(`analysis.report`) and the history files; written with `plotting.output.save_figure`.
"""

from __future__ import annotations

import math
from pathlib import Path

from matplotlib.figure import Figure

from analysis.history import FILENAME, read_history
from analysis.profiles import profile_curve
from analysis.report import PROFILE_FIGURE, curves_figure
from plotting.output import save_figure
from plotting.style import optimizer_color, optimizer_marker

TITLES = {"steps": "time = optimizer steps", "seconds": "time = training seconds"}


def as_ratios(by_problem: dict) -> dict:
    """Ratios as read from results.json (null: never reached) as floats."""
    return {problem: math.inf if value is None else value for problem, value in by_problem.items()}


def draw_profiles(results: dict, path: Path, figure: Figure | None = None) -> Path:
    """rho(tau) on [1, tau_max] of every optimizer, for steps and for seconds, side by side."""
    figure = figure if figure is not None else Figure(figsize=(11, 4.2), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    tau_max = results["tau_max"]
    for axis, measure in zip(axes, ("steps", "seconds"), strict=True):
        section = results["scores"][measure]
        for name, by_problem in section["ratios"].items():
            taus, rhos = profile_curve(as_ratios(by_problem), tau_max)
            axis.step(taus, rhos, where="post", color=optimizer_color(name),
                      label=f"{name} (B={section['scores'][name]:.2f})", linewidth=1.8)
            axis.plot(taus[:1], rhos[:1], marker=optimizer_marker(name),
                      color=optimizer_color(name), linestyle="none")
        axis.set_xlim(1, tau_max)
        axis.set_ylim(-0.03, 1.03)
        axis.set_xlabel("tau (time / fastest time)")
        axis.set_title(TITLES[measure])
        axis.grid(alpha=0.3)
        axis.legend(fontsize="small", loc="lower right")
    axes[0].set_ylabel("share of problems with ratio <= tau")
    protocol = results["protocol"]
    figure.suptitle(f"Performance profiles: suite {protocol['suite']}, ruleset "
                    f"{protocol['ruleset']}, {len(protocol['problems'])} problem(s)")
    save_figure(figure, path)
    return path


def draw_curves(folder: Path, results: dict, problem: str, path: Path,
                figure: Figure | None = None) -> Path:
    """Validation accuracy against optimizer steps of every final run on `problem`
    (one line per seed, one colour per optimizer), with the target drawn."""
    figure = figure if figure is not None else Figure(figsize=(7.5, 4.5), layout="constrained")
    axis = figure.subplots()
    protocol = results["protocol"]
    target = protocol["problems"][problem]["target"]
    highest = target
    for name in protocol["optimizers"]:
        for index, seed in enumerate(protocol["seeds"]):
            history = read_history(Path(folder) / f"{problem}-{name}-seed{seed}" / FILENAME)
            records = history["history"]
            axis.plot(records["step"], records["val_accuracy"], color=optimizer_color(name),
                      alpha=0.85, linewidth=1.2, label=name if index == 0 else None)
            highest = max([highest, *(v for v in records["val_accuracy"] if v is not None)])
    axis.axhline(target, color="black", linestyle="--", linewidth=1, label=f"target {target}")
    # Zoomed on the target: curves far below it leave the figure at the bottom.
    axis.set_ylim(max(0.0, target - 0.3), min(1.0, highest + 0.01) + 0.005)
    axis.set_xlabel("optimizer steps")
    axis.set_ylabel("validation accuracy")
    axis.set_title(f"{problem}: final runs at the chosen hyperparameters")
    axis.grid(alpha=0.3)
    axis.legend(fontsize="small", loc="lower right", ncol=2)
    save_figure(figure, path)
    return path


def draw_figures(folder: Path, results: dict) -> list[Path]:
    """The figures report.md shows: the profiles and each problem's curves."""
    folder = Path(folder)
    paths = [draw_profiles(results, folder / PROFILE_FIGURE)]
    for problem in results["protocol"]["problems"]:
        paths.append(draw_curves(folder, results, problem, folder / curves_figure(problem)))
    return paths
