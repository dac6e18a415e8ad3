"""Tiny HTML builders for the self-contained report pages (escaped text, embedded PNGs).

Example:
    >>> esc("<b>")
    '&lt;b&gt;'
    >>> number(0.91234)
    '0.912'
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from typing import Any

STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 24px; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #e4e4e4; padding-bottom: 4px; margin-top: 2em; }
.meta { color: #666; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #ddd; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card .value { font-size: 1.6em; font-weight: 600; }
.card .label { color: #666; font-size: 0.85em; }
table { border-collapse: collapse; margin: 12px 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
th { background: #f4f4f4; }
td.text, th.text { text-align: left; }
td.bad { background: #fde2e1; }
td.diag { background: #e3f1e3; font-weight: 600; }
table.confusion th { max-width: 7em; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 16px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.grid figure { flex: 1 1 440px; }
.note { color: #666; font-size: 0.9em; }
code { background: #f4f4f4; padding: 1px 4px; border-radius: 3px; }
"""


def esc(value: Any) -> str:
    """HTML-escape ``str(value)``."""
    return html.escape(str(value), quote=True)


def number(value: Any, digits: int = 3) -> str:
    """Format a number for a table cell (``-`` for missing values)."""
    if value is None:
        return "-"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    if value != value:  # nan
        return "-"
    return f"{value:.{digits}f}"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    text_columns: Sequence[int] = (0,),
    cell_classes: dict[tuple[int, int], str] | None = None,
    caption: str | None = None,
    table_class: str = "",
) -> str:
    """An HTML table; cells are escaped, ``text_columns`` are left-aligned."""
    cell_classes = cell_classes or {}
    head = "".join(
        f'<th class="text">{esc(h)}</th>' if i in text_columns else f"<th>{esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, cell in enumerate(row):
            classes = []
            if c in text_columns:
                classes.append("text")
            if (r, c) in cell_classes:
                classes.append(cell_classes[(r, c)])
            attribute = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attribute}>{esc(cell)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    title = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="scroll"><table class="{esc(table_class)}">{title}'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def image(png: bytes | None, source: str, alt: str, caption: str = "", embed: bool = True) -> str:
    """A figure with an ``<img>``: embedded as a data URI, or ``source`` relative to the page."""
    if embed and png is not None:
        src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    else:
        src = esc(source)
    text = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{src}" alt="{esc(alt)}">{text}</figure>'


def cards(items: Sequence[tuple[str, str]]) -> str:
    """Big numbers with a label under each."""
    parts = [
        f'<div class="card"><div class="value">{esc(value)}</div>'
        f'<div class="label">{esc(label)}</div></div>'
        for label, value in items
    ]
    return f'<div class="cards">{"".join(parts)}</div>'


def page(title: str, body: str) -> str:
    """A complete HTML5 page with the report style inlined."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def relative_link(target: str | os.PathLike, start: str | os.PathLike) -> str:
    """``target`` relative to the folder ``start``, with forward slashes, for an ``href``.

    Example:
        >>> relative_link("runs/study/step1/report.html", "runs/study")
        'step1/report.html'
    """
    return os.path.relpath(target, start).replace(os.sep, "/")
