"""Training curves: loss, accuracy or learning rate against epoch, one colour per optimizer.

Training is drawn solid with filled markers, validation dashed with hollow ones
(which tell them apart where there is no line: in a one-epoch run, whose points
stand side by side about epoch 1, each band an upright bar). The learning rate
(history key `lr`, the rate the optimizer applied in each epoch) has one line
per configuration, on a log axis when the largest rate drawn is 5 or more times
the smallest (a float32 0.01 is 9.99999 times a float32 0.001).

A configuration with several seeds is drawn as the mean curve with a shaded
band (sample standard deviation, ddof=1, or min to max); with one seed, as the
run itself. A run that diverged is drawn up to its last finite value, with an
'x' there; runs that diverged, were interrupted or are still running say so in
the legend.

The functions build a `matplotlib.figure.Figure` without pyplot, so drawing
needs no display and leaves no global state behind; tests inspect the figure.
"""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from analysis.grouping import Configuration
from plotting.layout import finish_layout
from plotting.style import optimizer_color, optimizer_marker, shade

METRICS = ("loss", "accuracy", "lr")
CHOICES = (*METRICS, "both")  # "both": loss and accuracy
AXIS_LABELS = {"loss": "loss", "accuracy": "accuracy", "lr": "learning rate"}
BANDS = ("std", "minmax")
# (legend text, prefix of the history key, line style, marker fill): validation's markers
# are hollow, which tells the splits apart where there is no line (a one-epoch run).
SPLITS = (("train", "", "-", "full"), ("validation", "val_", "--", "none"))
SPLIT_MARKER = "o"  # in the legend's train and validation keys, drawn grey
# Statuses a reader should be told about; completed and early-stopped runs are normal.
FLAGGED_STATUSES = ("diverged", "interrupted", "running", "failed")
PANEL_WIDTH, PANEL_HEIGHT = 5.5, 4.0  # inches per panel
MARKER_SIZE = 5
MARKERS_PER_LINE = 10
DODGE = 0.6  # of an epoch: a one-epoch run's points, side by side, span this
LEGEND_COLUMNS_PER_PANEL = 3  # at most; fewer when the labels are too wide for them


def draw_curves(
    configurations: list[Configuration],
    metric: str = "both",
    band: str = "std",
    log_y: bool = False,
    title: str | None = None,
    figure: Figure | None = None,
) -> Figure:
    """A figure with a loss and/or an accuracy panel and a legend below them.

    `metric` is "loss", "accuracy", "lr" or "both" (loss and accuracy); `band` is
    "std" or "minmax"; `log_y` puts the loss and learning-rate panels on a log
    scale; `figure` lets pyplot supply one for --show.
    """
    if metric not in CHOICES or band not in BANDS:
        raise ValueError(f"metric {metric!r} or band {band!r} is not one of {CHOICES}, {BANDS}")
    metrics = ("loss", "accuracy") if metric == "both" else (metric,)
    colors = configuration_colors(configurations)
    figure = figure if figure is not None else Figure()
    figure.set_size_inches(PANEL_WIDTH * len(metrics), PANEL_HEIGHT)
    figure.set_layout_engine("constrained")
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for axis, name in zip(axes, metrics, strict=True):
        log_scale = _log_scale(name, log_y, configurations)
        _draw_panel(axis, configurations, colors, name, band, log_scale)
    handles = _legend_handles(configurations, colors, with_splits=metric != "lr")
    finish_layout(figure, handles, LEGEND_COLUMNS_PER_PANEL * len(metrics), title, PANEL_HEIGHT)
    return figure


def _legend_handles(configurations, colors, with_splits: bool = True) -> list[Line2D]:
    """One entry per configuration (its colour and marker), then the two line styles."""
    handles = [
        Line2D(
            [],
            [],
            color=color,
            marker=optimizer_marker(configuration.optimizer),
            markersize=MARKER_SIZE,
            label=legend_label(configuration),
        )
        for configuration, color in zip(configurations, colors, strict=True)
    ]
    styles = [
        Line2D(
            [],
            [],
            color="0.3",
            linestyle=style,
            marker=SPLIT_MARKER,
            markersize=MARKER_SIZE,
            fillstyle=fill,
            label=split,
        )
        for split, _, style, fill in SPLITS
    ]
    return handles + styles if with_splits else handles


def _log_scale(metric: str, log_y: bool, configurations: list[Configuration]) -> bool:
    """Loss with --log_y; the learning rate with --log_y or when its values span a decade."""
    if metric == "accuracy":
        return False
    return log_y or (metric == "lr" and _spans_a_factor_of_five(configurations))


def _spans_a_factor_of_five(configurations: list[Configuration]) -> bool:
    """True when the learning rates recorded are all positive and span a factor of 5 or more."""
    values = np.concatenate([series(c.histories, "lr").ravel() for c in configurations])
    values = values[np.isfinite(values)]
    return bool(values.size) and values.min() > 0 and values.max() >= 5 * values.min()


def configuration_colors(configurations: list[Configuration]) -> list:
    """The optimizer's colour, shaded apart for its second, third ... configuration."""
    seen: dict[str, int] = {}
    colors = []
    for configuration in configurations:
        index = seen.get(configuration.optimizer, 0)
        seen[configuration.optimizer] = index + 1
        colors.append(shade(optimizer_color(configuration.optimizer), index))
    return colors


def legend_label(configuration: Configuration) -> str:
    """The configuration's label, with "(diverged)", "(1/3 running)" and the like."""
    statuses = [run["status"] for run in configuration.histories]
    notes = []
    for status in FLAGGED_STATUSES:
        count = statuses.count(status)
        if count:
            notes.append(status if count == len(statuses) else f"{count}/{len(statuses)} {status}")
    return f"{configuration.label} ({', '.join(notes)})" if notes else configuration.label


def series(histories: list[dict], key: str) -> np.ndarray:
    """The runs' values of `key` as rows of a float array, NaN where missing or null."""
    length = max(len(history["history"]["epoch"]) for history in histories)
    values = np.full((len(histories), length), np.nan)
    for row, history in enumerate(histories):
        column = history["history"].get(key) or []
        values[row, : len(column)] = [np.nan if value is None else value for value in column]
    values[~np.isfinite(values)] = np.nan
    return values


def mean_and_band(values: np.ndarray, band: str = "std"):
    """Per epoch over the runs with a value: the mean, and the band's lower and upper edges.

    The band is NaN where fewer than two runs have a value.
    """
    counts = np.sum(np.isfinite(values), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN epochs stay NaN
        mean = np.nanmean(values, axis=0)
        if band == "minmax":
            lower, upper = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        else:
            spread = np.nanstd(values, axis=0, ddof=1)
            lower, upper = mean - spread, mean + spread
    lower[counts < 2] = np.nan
    upper[counts < 2] = np.nan
    return mean, lower, upper


def _draw_panel(axis, configurations, colors, metric: str, band: str, log_y: bool) -> None:
    """Every configuration's curves on one axis; limits fitted to the runs that did not diverge."""
    curves, healthy, marks = [], [], []
    one_epoch = (
        max(len(run["history"]["epoch"]) for c in configurations for run in c.histories) == 1
    )
    dodge = len(configurations) if one_epoch else 0
    for index, (configuration, color) in enumerate(zip(configurations, colors, strict=True)):
        means, bands, divergences = _draw_configuration(
            axis, configuration, metric, band, color, (index, dodge)
        )
        curves.append(means)
        if not any(run["status"] == "diverged" for run in configuration.histories):
            healthy += [means, bands]
        marks += [(epoch, value, color) for epoch, value in divergences]
    _decorate(axis, metric, log_y)
    if one_epoch:
        # Else the one point spans 0.96-1.04, and the locator, finding no whole number
        # in that range, ticks 0.96, 0.98 ...
        axis.set_xlim(0.5, 1.5)
        axis.set_xticks([1])
    _fit_limits(axis, metric, log_y, _joined(curves), _joined(healthy))
    top = axis.get_ylim()[1]
    for epoch, value, color in marks:
        # A value beyond the top (a blow-up) is marked on the edge, where the curve leaves.
        axis.scatter(
            [epoch], [min(value, top)], marker="x", s=50, color=color, zorder=3, clip_on=False
        )


def _draw_configuration(axis, configuration, metric: str, band: str, color, place):
    """Mean curve and band per split; returns their finite values and where runs diverged.

    `place` is (index, dodge): about MARKERS_PER_LINE markers mark the curve,
    staggered by `index` so that curves lying on top of each other show their
    markers side by side; with `dodge` configurations on a one-epoch panel, each
    point gets an x of its own about epoch 1.
    """
    index, dodge = place
    means, bands, divergences = [], [], []
    for number, (_, prefix, style, fill) in enumerate(SPLITS):
        values = series(configuration.histories, prefix + metric)
        if not np.isfinite(values).any():
            continue  # e.g. no validation split
        mean, lower, upper = mean_and_band(values, band)
        last = _last_finite_index(mean)
        epochs = np.arange(1, last + 2) + _dodged(2 * index + number, 2 * dodge)
        step = max(1, -(-len(epochs) // MARKERS_PER_LINE))
        axis.plot(
            epochs,
            mean[: last + 1],
            color=color,
            linestyle=style,
            linewidth=1.6,
            marker=optimizer_marker(configuration.optimizer),
            markersize=MARKER_SIZE,
            fillstyle=fill,
            markevery=(index % step, step),
        )
        if len(values) > 1 and np.isfinite(lower).any():
            _draw_band(axis, epochs, lower[: last + 1], upper[: last + 1], color)
        means.append(mean)
        bands += [lower, upper]
        shift = _dodged(2 * index + number, 2 * dodge)
        divergences += [(epoch + shift, value) for epoch, value in
                        _divergences(configuration.histories, values, mean)]
    return _joined(means), _joined(bands), divergences


def _dodged(series: int, count: int) -> float:
    """The shift of the `series`-th of `count` points spread over DODGE of an epoch (0: none)."""
    return DODGE * ((series + 0.5) / count - 0.5) if count else 0.0


def _draw_band(axis, epochs, lower, upper, color) -> None:
    """A shaded band; over a single epoch, where a band has no width, a shaded bar."""
    if len(epochs) > 1:
        axis.fill_between(epochs, lower, upper, color=color, alpha=0.18, linewidth=0)
    else:
        axis.vlines(epochs, lower, upper, color=color, alpha=0.35, linewidth=5)


def _joined(arrays: list[np.ndarray]) -> np.ndarray:
    """The finite values of `arrays` in one flat array."""
    joined = np.concatenate(arrays) if arrays else np.array([])
    return joined[np.isfinite(joined)]


def _divergences(histories, values, curve) -> list[tuple[int, float]]:
    """(epoch, value on the curve) of each diverged run's last finite value."""
    points = []
    for history, row in zip(histories, values, strict=True):
        if history["status"] == "diverged" and np.isfinite(row).any():
            index = _last_finite_index(row)
            points.append((index + 1, float(curve[index])))
    return points


def _fit_limits(axis, metric: str, log_y: bool, curves: np.ndarray, healthy: np.ndarray) -> None:
    """Accuracy within 0-100%; loss not stretched by a blow-up (linear) or a band (log)."""
    bottom, top = axis.get_ylim()
    if metric == "accuracy":
        axis.set_ylim(max(bottom, -0.01), min(top, 1.01))
    elif log_y and (curves > 0).any():
        axis.set_ylim(max(bottom, curves[curves > 0].min() / 2), top)
    elif not log_y and healthy.size:
        # Room for a diverged curve to rise above the others, but not to flatten them.
        low, high = healthy.min(), healthy.max()
        span = high - low or abs(high) or 1.0
        axis.set_ylim(max(bottom, low - 0.05 * span), min(top, high + 0.5 * span))


def _last_finite_index(values: np.ndarray) -> int:
    finite = np.flatnonzero(np.isfinite(values))
    return int(finite[-1]) if len(finite) else -1


def _decorate(axis, metric: str, log_y: bool) -> None:
    axis.set_xlabel("epoch")
    axis.set_ylabel(AXIS_LABELS[metric])
    axis.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    axis.grid(True, alpha=0.3)
    if metric == "accuracy":
        axis.yaxis.set_major_formatter(FuncFormatter(percent_tick))
    if log_y:
        # A std band reaching below zero runs down to the axis's bottom edge.
        axis.set_yscale("log", nonpositive="clip")


def percent_tick(fraction: float, _position=None) -> str:
    """A tick label: 0.95 -> "95%", 0.875 -> "87.5%" (no spurious ".0")."""
    return f"{round(fraction * 100, 6):g}%"
