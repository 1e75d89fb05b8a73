"""One colour per optimizer, the same in every figure, and the order optimizers are listed in."""

from __future__ import annotations

import zlib

from optimizers.records import RECORDS  # pure data: no Keras

# Colour and marker per optimizer, from its record (optimizers/records.py), in registry
# order; the seven compared most often get the seven most distinct tab10 colours. A
# marker each, so that curves lying on top of each other (adam and adamw on a short
# run) and readers who tell colours apart poorly still see which is which; 'x' is left
# out: it marks where a run diverged.
OPTIMIZER_COLORS = {record.name: record.color for record in RECORDS}
OPTIMIZER_ORDER = tuple(OPTIMIZER_COLORS)
OPTIMIZER_MARKERS = {record.name: record.marker for record in RECORDS}
FALLBACK_MARKER = "p"
# For names outside the registry (a user's own optimizer): a stable pick by name.
FALLBACK_COLORS = ("tab:gray", "#17becf", "#393b79", "#8c6d31", "#843c39", "#7b4173")


def optimizer_color(optimizer: str) -> str:
    """The colour of `optimizer`; other names get a fixed colour derived from the name."""
    if optimizer in OPTIMIZER_COLORS:
        return OPTIMIZER_COLORS[optimizer]
    return FALLBACK_COLORS[zlib.crc32(optimizer.encode()) % len(FALLBACK_COLORS)]


def optimizer_marker(optimizer: str) -> str:
    return OPTIMIZER_MARKERS.get(optimizer, FALLBACK_MARKER)


def optimizer_sort_key(optimizer: str) -> tuple[int, str]:
    """Registry order first (sgd ... nadam), other names after them, alphabetically."""
    if optimizer in OPTIMIZER_COLORS:
        return OPTIMIZER_ORDER.index(optimizer), ""
    return len(OPTIMIZER_ORDER), optimizer


def shade(color: str, index: int) -> tuple[float, float, float]:
    """`color` for the first configuration of an optimizer, darker/lighter for the next ones."""
    from matplotlib.colors import to_rgb  # here, so that ordering needs no matplotlib

    red, green, blue = to_rgb(color)
    if index == 0:
        return red, green, blue
    step = (index + 1) // 2 * 0.35
    target = 0.0 if index % 2 else 1.0  # odd: towards black, even: towards white
    step = min(step, 0.7)
    return tuple(channel + (target - channel) * step for channel in (red, green, blue))
