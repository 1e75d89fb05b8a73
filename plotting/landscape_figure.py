"""The landscape figure: optimizer paths over a contour plot, and f against step.

Left, the function's contours (log-spaced levels where its values span more
than two decades over the plot) with each optimizer's path from the start
(black circle) towards the minimum (star); the plot's bounds are the
function's, widened to hold a start outside them. Right, f at each step on a log axis.
A path that diverged stops at its last finite point, marked with an 'x' (on
the plot's edge when that point lies outside it).

Second-order paths (Newton's method and L-BFGS, plotting/second_order.py)
are dashed, labelled with their number of steps, and their last point is
drawn large, above the other paths; the plot's bounds widen to hold their
iterates (by at most a span each way). Below FLOOR_DECADES decades under the
optimizers' lowest value, their value curves leave through the bottom edge.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from plotting.landscape import TestFunction, Trajectory
from plotting.layout import finish_layout
from plotting.second_order import SecondOrderPath, label
from plotting.style import optimizer_color, optimizer_marker

GRID_POINTS = 300
CONTOUR_LEVELS = 25
MARKERS_PER_PATH = 8
PANEL_HEIGHT = 4.8  # inches
LOSS_PANEL_WIDTH = 4.6
LEGEND_COLUMNS = 5  # at most; fewer when the labels are too wide for them
FLOOR_DECADES = 3  # of room on the value axis below the optimizers' lowest value
# Second-order paths: dashed, in colours and markers no optimizer uses (plotting/style.py).
SECOND_ORDER_STYLES = {"newton": ("black", "p"), "lbfgs": ("tab:gray", "H")}


def draw_landscape(
    function: TestFunction,
    trajectories: list[Trajectory],
    start: tuple[float, float] | None = None,
    title: str | None = None,
    figure=None,
) -> Figure:
    """Contour panel with the paths, and loss panel; returns the Figure (axes: contour, loss).

    `start` is where the paths began (default: the function's default start).
    """
    figure = figure if figure is not None else Figure()
    start = function.start if start is None else start
    second_order = [path.points for path in trajectories if isinstance(path, SecondOrderPath)]
    bounds = plot_bounds(function, start, np.concatenate([np.empty((0, 2)), *second_order]))
    (x_low, x_high), (y_low, y_high) = bounds
    contour_width = PANEL_HEIGHT * (x_high - x_low) / (y_high - y_low)
    contour_width = min(max(contour_width, 4.0), 7.5)
    figure.set_size_inches(contour_width + LOSS_PANEL_WIDTH, PANEL_HEIGHT)
    figure.set_layout_engine("constrained")
    contour_axis, loss_axis = figure.subplots(1, 2, width_ratios=[contour_width, LOSS_PANEL_WIDTH])
    draw_contours(contour_axis, function, bounds, start)
    for index, trajectory in enumerate(trajectories):
        _draw_path(contour_axis, bounds, trajectory, index)
        _draw_losses(loss_axis, trajectory, index)
    _decorate_loss_axis(loss_axis)
    _floor_losses(loss_axis, trajectories)
    finish_layout(figure, _legend_handles(trajectories), LEGEND_COLUMNS, title, PANEL_HEIGHT)
    return figure


def plot_bounds(function: TestFunction, start, points=None) -> tuple:
    """The function's bounds, widened to hold `start` and `points` (n, 2), margin a tenth of span.

    `points` (the second-order iterates) widen them by at most one span on each
    side, so that a far jump does not shrink the landscape to a dot.
    """
    points = np.empty((0, 2)) if points is None else np.asarray(points)
    bounds = []
    for axis, ((low, high), value) in enumerate(zip(function.bounds, start, strict=True)):
        span, margin = high - low, 0.1 * (high - low)
        near = points[:, axis][np.abs(points[:, axis] - (low + high) / 2) <= 1.5 * span]
        values = np.append(near, value)
        bounds.append((min(low, values.min() - margin), max(high, values.max() + margin)))
    return tuple(bounds)


def draw_contours(axis, function: TestFunction, bounds, start) -> None:
    """Filled contours and thin lines of f over `bounds`, the minimum and the start."""
    (x_low, x_high), (y_low, y_high) = bounds
    x, y = np.meshgrid(
        np.linspace(x_low, x_high, GRID_POINTS), np.linspace(y_low, y_high, GRID_POINTS)
    )
    values = function.value(x, y)
    levels, norm = contour_levels(values)
    axis.contourf(x, y, values, levels=levels, norm=norm, cmap="Greys_r", alpha=0.45)
    axis.contour(x, y, values, levels=levels, norm=norm, colors="0.45", linewidths=0.4)
    # On top of the paths, which end there or start there.
    axis.plot(*function.minimum, marker="*", markersize=15, color="gold", mec="k", zorder=6)
    axis.plot(*start, marker="o", markersize=7, color="k", zorder=6)
    axis.set_xlim(x_low, x_high)
    axis.set_ylim(y_low, y_high)
    axis.set_xlabel("x")
    axis.set_ylabel("y")
    axis.set_title(f"f(x, y) = {function.formula}", fontsize="medium")


def contour_levels(values: np.ndarray):
    """(levels, norm): log-spaced over the positive values when they span two decades."""
    positive = values[np.isfinite(values) & (values > 0)]
    low, high = positive.min(), positive.max()
    if high > 100 * low:
        low = max(low, high * 1e-6)  # near the minimum, levels would crowd in a dot
        return np.geomspace(low, high, CONTOUR_LEVELS), LogNorm(low, high)
    return np.linspace(values.min(), values.max(), CONTOUR_LEVELS), None


def _style(trajectory: Trajectory, index: int) -> dict:
    step = max(1, len(trajectory.points) // MARKERS_PER_PATH)
    return {
        **_look(trajectory),
        "markersize": 5,
        "markevery": (index * step // 9 % step, step),  # staggered: overlapping paths stay apart
        "linewidth": 1.5,
        "alpha": 0.85,  # paths that run together (the adaptive methods) show through each other
    }


def _look(trajectory: Trajectory) -> dict:
    """Colour, marker and line style: the optimizer's, or dashed for a second-order path."""
    if isinstance(trajectory, SecondOrderPath):
        color, marker = SECOND_ORDER_STYLES.get(trajectory.optimizer, ("black", "p"))
        return {"color": color, "marker": marker, "linestyle": "--"}
    name = trajectory.optimizer
    return {"color": optimizer_color(name), "marker": optimizer_marker(name), "linestyle": "-"}


def _draw_path(axis, bounds, trajectory: Trajectory, index: int) -> None:
    points = trajectory.points
    axis.plot(points[:, 0], points[:, 1], **_style(trajectory, index))
    if isinstance(trajectory, SecondOrderPath) and len(points):
        # Where it stopped, above the other paths (but under the start and the minimum):
        # plain Newton stops on saddle points, under the optimizers' paths.
        look = {key: value for key, value in _look(trajectory).items() if key != "linestyle"}
        axis.plot(*points[-1], **look, markersize=9, markeredgecolor="w", zorder=5)
    if trajectory.diverged_at is not None and len(points):
        (x_low, x_high), (y_low, y_high) = bounds
        last = np.clip(points[-1], (x_low, y_low), (x_high, y_high))
        _mark(axis, last[0], last[1], trajectory)


def _draw_losses(axis, trajectory: Trajectory, index: int) -> None:
    steps = np.arange(len(trajectory.losses))
    axis.plot(steps, trajectory.losses, **_style(trajectory, index))
    if trajectory.diverged_at is not None and len(steps):
        _mark(axis, steps[-1], trajectory.losses[-1], trajectory)


def _mark(axis, x, y, trajectory: Trajectory) -> None:
    color = _look(trajectory)["color"]
    axis.scatter([x], [y], marker="x", s=70, color=color, zorder=5, clip_on=False)


def _decorate_loss_axis(axis) -> None:
    axis.set_yscale("log")
    axis.set_xlabel("step")
    axis.set_ylabel("f(x, y)")
    axis.grid(True, alpha=0.3)
    axis.set_title("value against step", fontsize="medium")


def _floor_losses(axis, trajectories: list[Trajectory]) -> None:
    """Bottom of the value axis FLOOR_DECADES below the optimizers' lowest value, if lower.

    Newton and L-BFGS reach 1e-17 or exactly 0; below that floor, their curves
    leave through the bottom edge instead of flattening the optimizers' curves.
    """
    lowest = [
        path.losses[path.losses > 0].min()
        for path in trajectories
        if not isinstance(path, SecondOrderPath) and (path.losses > 0).any()
    ]
    if lowest and any(isinstance(path, SecondOrderPath) for path in trajectories):
        floor = min(lowest) / 10**FLOOR_DECADES
        axis.set_ylim(bottom=max(axis.get_ylim()[0], floor))


def _legend_handles(trajectories: list[Trajectory]) -> list[Line2D]:
    handles = [
        Line2D([], [], **_look(trajectory), label=_label(trajectory)) for trajectory in trajectories
    ]
    start = Line2D([], [], color="k", marker="o", linestyle="", label="start")
    minimum = Line2D(
        [], [], color="gold", marker="*", markersize=12, markeredgecolor="k", linestyle=""
    )
    minimum.set_label("minimum")
    return [*handles, start, minimum]


def _label(trajectory: Trajectory) -> str:
    if isinstance(trajectory, SecondOrderPath):
        return label(trajectory)  # its steps, and why it stopped unless it converged
    text = f"{trajectory.optimizer} (lr {trajectory.learning_rate:g})"
    if trajectory.diverged_at is not None:
        text += f", diverged at step {trajectory.diverged_at}"
    return text
