"""What a rendered figure shows where: the window extent of every text, legend and panel.

The figure is drawn on an Agg canvas at the DPI the figures are saved at, so
that constrained layout places everything as in the saved file; extents are in
pixels of that canvas, whose origin is the figure's lower-left corner.
"""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from plotting.output import DPI

TOLERANCE = 0.5  # pixels: rounding of the layout solution


def render(figure, dpi: float = DPI):
    """Draw `figure` on an Agg canvas at `dpi`; returns the renderer."""
    figure.set_dpi(dpi)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def texts_and_legends(figure, renderer) -> list[tuple[str, object]]:
    """(name, window extent) of every text drawn: titles, axis and tick labels, legends."""
    extents = []
    for index, legend in enumerate(figure.legends):
        extents.append((f"legend {index}", legend.get_window_extent(renderer)))
        for text in legend.get_texts():
            extents.append((f"legend text {text.get_text()!r}", text.get_window_extent(renderer)))
    for number, axis in enumerate(figure.axes):
        if axis.title.get_text():  # the figures set no left or right titles
            extents.append((f"axes {number} title", axis.title.get_window_extent(renderer)))
        for name, side in (("x", axis.xaxis), ("y", axis.yaxis)):
            if side.label.get_text():
                extents.append(
                    (f"axes {number} {name} label", side.label.get_window_extent(renderer))
                )
            for text in shown_tick_labels(side):
                extents.append(
                    (
                        f"axes {number} {name} tick {text.get_text()!r}",
                        text.get_window_extent(renderer),
                    )
                )
    for text in figure.texts:  # the suptitle among them
        extents.append((f"figure text {text.get_text()!r}", text.get_window_extent(renderer)))
    return extents


def shown_tick_labels(side) -> list:
    """The major and minor tick labels inside the view limits, with text (those drawn)."""
    low, high = sorted(side.get_view_interval())
    span = high - low
    labels = []
    for minor in (False, True):
        locations = side.get_ticklocs(minor=minor)
        for location, text in zip(locations, side.get_ticklabels(minor=minor), strict=False):
            inside = low - 1e-9 * span <= location <= high + 1e-9 * span
            if inside and text.get_visible() and text.get_text():
                labels.append(text)
    return labels


def outside(figure, renderer) -> list[str]:
    """The texts and legends that reach beyond the canvas, with by how many pixels."""
    width, height = figure.bbox.width, figure.bbox.height
    problems = []
    for name, extent in texts_and_legends(figure, renderer):
        over = max(-extent.x0, -extent.y0, extent.x1 - width, extent.y1 - height)
        if over > TOLERANCE:
            problems.append(f"{name}: {over:.1f} px outside {width:.0f}x{height:.0f}")
    whole = figure.get_tightbbox(renderer)  # inches: every artist, lines and markers too
    over = max(
        -whole.x0, -whole.y0, whole.x1 - figure.get_figwidth(), whole.y1 - figure.get_figheight()
    )
    if over * figure.dpi > TOLERANCE:
        problems.append(f"figure content {over * figure.dpi:.1f} px outside")
    return problems


def tick_values_shown(side) -> list[float]:
    """The major tick locations inside the view limits."""
    low, high = sorted(side.get_view_interval())
    return [float(value) for value in side.get_ticklocs() if low <= value <= high]


def overlaps(first, second) -> bool:
    return bool(
        np.minimum(first.x1, second.x1) > np.maximum(first.x0, second.x0) + TOLERANCE
        and np.minimum(first.y1, second.y1) > np.maximum(first.y0, second.y0) + TOLERANCE
    )
