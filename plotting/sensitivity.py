"""Learning-rate sensitivity (as in DeepOBS): validation accuracy against learning rate.

Runs are grouped as in the results table, with the learning rate
(`config.optimizer.learning_rate`) set aside as well as the seed: one
line per optimizer (per configuration, when an optimizer was also run with
other settings), one point per learning rate. A point is the mean over the
seeds of each run's best validation accuracy (`which="best"`, the highest over
its epochs) or final one (`which="final"`, the last finite value), with error
bars of one sample standard deviation (ddof=1; none with a single seed). The
x axis is logarithmic.

Diverged runs count with the accuracy they reached before the loss went
non-finite (their best, or last finite, validation accuracy), and the point is
marked with an 'x'. A learning rate at which no run has a finite validation
accuracy has no point: an 'x' on the bottom edge marks it, and the line breaks.
Runs without a positive numeric learning rate are left out (the caller is told
how many).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from analysis.grouping import Configuration, group_by_configuration
from analysis.statistics import finite
from plotting.curves import configuration_colors, percent_tick
from plotting.layout import finish_layout
from plotting.runs import SelectionError
from plotting.style import optimizer_marker

WHICH = ("best", "final")
WIDTH, HEIGHT = 6.5, 4.5  # inches
LEGEND_COLUMNS = 4  # at most; fewer when the labels are too wide for them


@dataclass(frozen=True)
class Point:
    """The runs of one configuration at one learning rate."""

    learning_rate: float
    mean: float  # NaN when no run has a finite validation accuracy
    std: float  # NaN with fewer than two values
    runs: int
    diverged: int


def learning_rate_of(history: dict) -> float | None:
    """The run's learning rate, or None when it is not a positive finite number."""
    rate = (history["config"].get("optimizer") or {}).get("learning_rate")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        return None
    return float(rate) if math.isfinite(rate) and rate > 0 else None


def sensitivity_lines(histories: list[dict], which: str = "best"):
    """`(configurations, points)`: the lines (learning rate set aside) and each one's points.

    Runs without a usable learning rate are dropped; `len(histories)` minus the
    runs counted in the points tells how many.
    """
    if which not in WHICH:
        raise ValueError(f"which {which!r} is not one of {', '.join(WHICH)}")
    rates, stripped = {}, []
    for history in histories:
        rate = learning_rate_of(history)
        if rate is not None:
            copy = _without_learning_rate(history)
            rates[id(copy)] = rate
            stripped.append(copy)
    configurations = group_by_configuration(stripped)
    points = [_points(configuration, rates, which) for configuration in configurations]
    return configurations, points


def sweep_warnings(histories: list[dict]) -> list[str]:
    """What a reader of the figure should know: runs left out, lines of a single point.

    Raises SelectionError when no run has a usable learning rate.
    """
    missing = sum(learning_rate_of(history) is None for history in histories)
    if missing == len(histories):
        raise SelectionError("no run has a numeric config.optimizer.learning_rate")
    warnings = [f"left out {missing} run(s) without a numeric learning rate"] if missing else []
    _, lines = sensitivity_lines(histories)
    if all(len(points) == 1 for points in lines):
        warnings.append(
            "each optimizer ran at a single learning rate: the figure is meant for a sweep"
        )
    return warnings


def _without_learning_rate(history: dict) -> dict:
    config = dict(history["config"])
    settings = dict(config.get("optimizer") or {})
    settings.pop("learning_rate", None)
    config["optimizer"] = settings
    return {**history, "config": config}


def _points(configuration: Configuration, rates: dict, which: str) -> list[Point]:
    by_rate: dict[float, list[dict]] = {}
    for history in configuration.histories:
        by_rate.setdefault(rates[id(history)], []).append(history)
    return [_point(rate, by_rate[rate], which) for rate in sorted(by_rate)]


def _point(rate: float, runs: list[dict], which: str) -> Point:
    values = []
    for run in runs:
        accuracies = finite(run["history"].get("val_accuracy", []))
        if accuracies:
            values.append(max(accuracies) if which == "best" else accuracies[-1])
    mean = float(np.mean(values)) if values else math.nan
    std = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    diverged = sum(run["status"] == "diverged" for run in runs)
    return Point(rate, mean, std, len(runs), diverged)


def draw_sensitivity(
    histories: list[dict], which: str = "best", title: str | None = None, figure=None
) -> Figure:
    """The sensitivity figure of `histories` (see the module docstring); returns the Figure."""
    configurations, lines = sensitivity_lines(histories, which)
    colors = configuration_colors(configurations)
    figure = figure if figure is not None else Figure()
    handles = [
        Line2D([], [], color=color, marker=optimizer_marker(c.optimizer), label=c.label)
        for c, color in zip(configurations, colors, strict=True)
    ]
    if any(point.diverged or math.isnan(point.mean) for line in lines for point in line):
        handles.append(Line2D([], [], color="0.2", marker="x", linestyle="", label="diverged"))
    figure.set_size_inches(WIDTH, HEIGHT)
    figure.set_layout_engine("constrained")
    axis = figure.subplots()
    for configuration, points, color in zip(configurations, lines, colors, strict=True):
        _draw_line(axis, configuration, points, color)
    _decorate(axis, which)
    _mark_divergences(axis, lines, colors)
    finish_layout(figure, handles, LEGEND_COLUMNS, title, HEIGHT)
    return figure


def _draw_line(axis, configuration: Configuration, points: list[Point], color) -> None:
    axis.errorbar(
        [point.learning_rate for point in points],
        [point.mean for point in points],
        yerr=[point.std for point in points],
        color=color,
        marker=optimizer_marker(configuration.optimizer),
        markersize=5,
        linewidth=1.6,
        capsize=3,
        label=configuration.label,
    )


def _decorate(axis, which: str) -> None:
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel(f"{which} validation accuracy (mean ± 1 std over seeds)")
    axis.yaxis.set_major_formatter(FuncFormatter(percent_tick))
    axis.grid(True, which="major", alpha=0.3)
    bottom, top = axis.get_ylim()
    axis.set_ylim(max(bottom, -0.01), min(top, 1.01))


def _mark_divergences(axis, lines: list[list[Point]], colors) -> None:
    """An 'x' on points with a diverged run, and on the bottom edge where no run has a value."""
    bottom = axis.get_ylim()[0]
    for points, color in zip(lines, colors, strict=True):
        for point in points:
            if point.diverged or math.isnan(point.mean):
                y = bottom if math.isnan(point.mean) else point.mean
                axis.scatter(
                    [point.learning_rate],
                    [y],
                    marker="x",
                    s=60,
                    color=color,
                    zorder=3,
                    clip_on=False,
                )
