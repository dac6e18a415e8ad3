"""Tables and a chart from the backend benchmark's results payload.

Example:
    >>> payload = {"rows": []}
    >>> markdown(payload).splitlines()[0].split(" | ")[:3]
    ['| case', 'backend', 'train img/s (median)']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from foodvision.base.figures import new_figure, save_figure


def fastest_by_case(rows: list[dict[str, Any]]) -> dict[str, float]:
    """The highest training images/s of each case over the backends that ran it."""
    best: dict[str, float] = {}
    for row in rows:
        if "error" not in row:
            speed = row["train"]["images_per_second"]
            best[row["name"]] = max(best.get(row["name"], 0.0), speed)
    return best


def markdown(payload: dict[str, Any]) -> str:
    """One Markdown row per (case, backend): speeds, spread, ratio to the fastest, memory."""
    rows = payload["rows"]
    best = fastest_by_case(rows)
    lines = [
        "| case | backend | train img/s (median) | step ms min–median–max | vs fastest "
        "| infer img/s | first step s | MFU % | peak RSS MB |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "error" in row:
            error = str(row["error"]).replace("|", "\\|")
            lines.append(f"| {row['name']} | {row['backend']} | error: {error} |||||||")
            continue
        train = row["train"]
        spread = "–".join(f"{train[k] * 1000:.0f}" for k in ("min_s", "median_s", "max_s"))
        lines.append(
            f"| {row['name']} | {row['backend']} | {train['images_per_second']:.1f} | {spread} "
            f"| {train['images_per_second'] / best[row['name']]:.2f}x "
            f"| {row['inference']['images_per_second']:.1f} | {row['first_step_s']:.1f} "
            f"| {_percent(row.get('mfu_percent'))} | {_megabytes(row.get('peak_rss_mb'))} |"
        )
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _megabytes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def plot(payload: dict[str, Any], path: str | Path) -> Path:
    """A grouped bar chart of training images/s per case and backend (log scale)."""
    rows = [r for r in payload["rows"] if "error" not in r]
    cases = list(dict.fromkeys(r["name"] for r in rows))
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    speed = {(r["name"], r["backend"]): r["train"]["images_per_second"] for r in rows}
    width = 0.8 / max(1, len(backends))
    fig = new_figure(max(6.0, 1.3 * len(cases)), 4.2)
    ax = fig.add_subplot(1, 1, 1)
    for i, backend in enumerate(backends):
        xs = [c + (i - (len(backends) - 1) / 2) * width for c in range(len(cases))]
        ys = [speed.get((case, backend), 0.0) for case in cases]
        ax.bar(xs, ys, width, label=backend)
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels(cases, rotation=25, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("training images/s (median step)")
    accelerator = payload.get("machine", {}).get("accelerator") or "CPU only"
    ax.set_title(f"Training speed by backend ({accelerator})")
    ax.legend(fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path)
    return path


def save(payload: dict[str, Any], out_dir: str | Path, stem: str = "backends") -> list[Path]:
    """Write ``<stem>.json``, ``<stem>.md`` and ``<stem>.png`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{stem}.json"
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    md_path = out / f"{stem}.md"
    md_path.write_text(markdown(payload) + "\n")
    return [json_path, md_path, plot(payload, out / f"{stem}.png")]
