"""Where a figure goes, writing it atomically, and showing it where a screen exists."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from analysis.history import default_file_mode

FORMATS = ("png", "svg", "pdf")
DPI = 150
# Backends that only write files; pyplot falls back to Agg when no GUI toolkit loads.
NON_INTERACTIVE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


class OutputError(ValueError):
    """An output path or format that cannot be used."""


def resolve_output(output: str | None, output_format: str | None, folder: Path, stem: str) -> Path:
    """`--output` with its format checked, or `<folder>/<stem>.<format>` (PNG by default)."""
    if output is None:
        return folder / f"{stem}.{output_format or 'png'}"
    path = Path(output)
    suffix = path.suffix.lower().lstrip(".")
    if not suffix:
        return path.with_name(f"{path.name}.{output_format or 'png'}")
    if suffix not in FORMATS:
        raise OutputError(
            f"unknown format {suffix!r} of --output {output} (choose from {', '.join(FORMATS)})"
        )
    if output_format is not None and output_format != suffix:
        raise OutputError(f"--output {output} does not end in .{output_format} (--format)")
    return path


def save_figure(figure, path: Path) -> None:
    """Write `figure` to `path` (format from the suffix) through a temporary file and rename."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix
        )
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    os.close(handle)
    try:
        figure.savefig(temporary, format=path.suffix.lstrip(".").lower(), dpi=DPI)
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def display_available() -> bool:
    """False on Linux without an X11 or Wayland display; elsewhere assume a screen."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def window_figure():
    """A pyplot figure on an interactive backend, or None where none can open a window."""
    if not display_available():
        return None
    import matplotlib.pyplot as pyplot  # only here: pyplot picks an interactive backend

    if not _is_interactive(pyplot.get_backend()):
        return None
    return pyplot.figure()


def show_windows() -> None:
    import matplotlib.pyplot as pyplot

    pyplot.show()


def _is_interactive(backend: str) -> bool:
    return backend.lower() not in NON_INTERACTIVE_BACKENDS
