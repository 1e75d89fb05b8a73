"""The legend below the panels and the title above them, kept inside the canvas.

Constrained layout (matplotlib's engine, which every figure here uses) makes
room below the panels for a figure legend placed "outside lower center" and
above them for the suptitle, but it keeps neither within the figure's width,
and it takes their height from the panels: a long legend runs off both edges,
a tall one squeezes the panels flat. `finish_layout` therefore

- gives the legend as many columns (up to a maximum) as fit the figure's width,
  entries running down the columns; when one column is too wide, it breaks the
  labels into lines that fit (at spaces, or inside a long word);
- breaks the title at its " · " separators, and where a part alone is too
  wide, within it, into lines that fit;
- makes the figure taller by the legend's and the title's heights, so the
  panels keep theirs.

Text keeps matplotlib's default sizes: nothing is shrunk to fit. Widths are
measured with an Agg renderer at the figure's DPI (a text's width in inches
does not depend on the DPI).
"""

from __future__ import annotations

import textwrap

from matplotlib.backends.backend_agg import RendererAgg

MARGIN = 0.1  # inches kept free at the left and right edges
SEPARATOR = " · "
MIN_LINE = 8  # characters: labels are not broken into narrower lines than this


def finish_layout(figure, handles, columns: int, title: str | None, panels_height: float):
    """The legend of `handles` (at most `columns` columns) and `title` placed, figure grown.

    `figure` has its panels drawn, its width set and constrained layout on;
    `panels_height` is its height in inches without legend and title, which
    this sets to that plus theirs. Returns the Legend.
    """
    renderer = RendererAgg(1, 1, figure.dpi)
    room = (figure.get_figwidth() - 2 * MARGIN) * figure.dpi  # pixels
    legend = _fitting_legend(figure, handles, columns, renderer, room)
    extra = legend.get_window_extent(renderer).height
    if title:
        text = figure.suptitle(title)
        text.set_text(wrap_title(title, lambda line: _width(text, line, renderer), room))
        extra += text.get_window_extent(renderer).height
    pads = 4 * figure.get_layout_engine().get()["h_pad"]  # inches: around legend and title
    figure.set_size_inches(figure.get_figwidth(), panels_height + extra / figure.dpi + pads)
    return legend


def _fitting_legend(figure, handles, columns: int, renderer, room: float):
    """The legend with the most columns that fits `room`, or one column of broken labels."""
    labels = [handle.get_label() for handle in handles]
    for count in range(min(columns, len(handles)), 0, -1):
        legend = _legend(figure, handles, labels, count)
        width = legend.get_window_extent(renderer).width
        if width <= room:
            return legend
        legend.remove()
    line = max(len(label) for label in labels)
    while True:
        # Narrower lines in proportion to the excess, at least a character a time.
        line = max(MIN_LINE, min(line - 1, int(line * room / width)))
        legend = _legend(figure, handles, [_wrap(label, line) for label in labels], 1)
        width = legend.get_window_extent(renderer).width
        if width <= room or line == MIN_LINE:
            return legend
        legend.remove()


def _legend(figure, handles, labels, columns: int):
    return figure.legend(
        handles=handles, labels=labels, loc="outside lower center", ncols=columns, frameon=False
    )


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) or text


def wrap_title(title: str, width_of, room: float) -> str:
    """`title` in lines no wider than `room`: its " · " parts joined while they fit.

    `width_of(line)` measures a line in the units of `room`. A part too wide
    alone is broken at spaces (inside a word only where a word is too wide).
    """
    lines: list[str] = []
    for part in title.split(SEPARATOR):
        if lines and width_of(lines[-1] + SEPARATOR + part) <= room:
            lines[-1] += SEPARATOR + part
        else:
            lines += _split_to_fit(part, width_of, room)
    return "\n".join(lines)


def _split_to_fit(text: str, width_of, room: float) -> list[str]:
    characters = int(len(text) * room / max(width_of(text), room)) + 1
    while characters > MIN_LINE and any(width_of(line) > room for line in _lines(text, characters)):
        characters -= 1
    return _lines(text, characters)


def _lines(text: str, characters: int) -> list[str]:
    return textwrap.wrap(text, characters, break_on_hyphens=False) or [text]


def _width(text, line: str, renderer) -> float:
    """The width in pixels of `line` in the font of `text` (a Text artist)."""
    return renderer.get_text_width_height_descent(line, text.get_fontproperties(), False)[0]
