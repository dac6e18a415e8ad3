"""Matplotlib helpers: figures without pyplot's global state, PNG output, readable labels.

Figures are ``matplotlib.figure.Figure`` objects drawn by the Agg canvas, so nothing here
touches pyplot, the interactive backend or the global figure list.
"""

from __future__ import annotations

import io
import os
import textwrap
from typing import Any

DPI = 100


def new_figure(width: float, height: float) -> Any:
    """A new ``Figure`` (``width`` x ``height`` inches), Agg canvas, constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def png_bytes(figure: Any) -> bytes:
    """Render ``figure`` as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def save_figure(figure: Any, path: str | os.PathLike) -> str:
    """Write ``figure`` as a PNG to ``path`` and return the path as a string."""
    with open(path, "wb") as handle:
        handle.write(png_bytes(figure))
    return os.fspath(path)


def class_label(name: str, width: int = 14) -> str:
    r"""A class name made readable on an axis: underscores become spaces, long names wrap.

    Example:
        >>> class_label("baby_back_ribs", width=10)
        'baby back\nribs'

    """
    text = str(name).replace("_", " ")
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=True)) or text


def short_label(name: str, width: int = 24) -> str:
    """A class name on one line: underscores become spaces, shortened with an ellipsis.

    Example:
        >>> short_label("baby_back_ribs_with_extra_long_name", width=16)
        'baby back ribs…'

    """
    text = str(name).replace("_", " ")
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def wrap_lines(text: str, width: int = 26) -> str:
    """Wrap every line of ``text`` at ``width`` characters (underscores become spaces)."""
    lines = []
    for line in str(text).replace("_", " ").split("\n"):
        lines.extend(textwrap.wrap(line, width=width, break_long_words=True) or [""])
    return "\n".join(lines)


def tick_font_size(count: int) -> float:
    """Tick label font size that keeps ``count`` labels apart."""
    if count <= 10:
        return 10.0
    if count <= 25:
        return 8.0
    if count <= 50:
        return 6.0
    return 4.5
