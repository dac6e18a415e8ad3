"""Compare several evaluation reports: one table, one bar chart, one page."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foodvision.base import html
from foodvision.base.figures import png_bytes
from foodvision.base.html import esc, number, relative_link
from foodvision.evaluation.report import EvaluationReport, load_metrics

#: Columns of the comparison, in order (``comparison.json`` rows have these keys + ``name``).
COMPARISON_KEYS = (
    "accuracy",
    "top_k_accuracy",
    "macro_f1",
    "weighted_f1",
    "loss",
    "expected_calibration_error",
    "num_samples",
    "top_k",
)
CHART_METRICS = ("accuracy", "top_k_accuracy", "macro_f1")


def _row(name: str, metrics: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "accuracy": metrics["accuracy"],
        "top_k_accuracy": metrics.get("top_k_accuracy"),
        "macro_f1": (metrics.get("macro_avg") or {}).get("f1"),
        "weighted_f1": (metrics.get("weighted_avg") or {}).get("f1"),
        "loss": metrics.get("loss"),
        "expected_calibration_error": metrics.get("expected_calibration_error"),
        "num_samples": metrics.get("num_samples"),
        "top_k": metrics.get("top_k"),
    }


@dataclass(frozen=True)
class ReportComparison:
    """Headline numbers of several runs side by side.

    Attributes:
        rows: One dict per run: ``name`` and the :data:`COMPARISON_KEYS`.
        per_class_f1: ``{class: {run: F1}}`` over the classes the runs share.
        sources: ``{run: folder}`` for runs read from disk (linked on the page).

    Example:
        >>> comparison = compare_reports({"step 1": "runs/step1/report",
        ...                               "step 2": "runs/step2/report"})  # doctest: +SKIP
        >>> comparison.names, comparison.best("accuracy")  # doctest: +SKIP
        (['step 1', 'step 2'], 'step 2')

    """

    rows: tuple[dict[str, Any], ...]
    per_class_f1: dict[str, dict[str, float]]
    sources: dict[str, str]

    @property
    def names(self) -> list[str]:
        """Run names in order."""
        return [row["name"] for row in self.rows]

    def best(self, metric: str = "accuracy") -> str:
        """Name of the run with the highest ``metric`` (the lowest for loss and ECE)."""
        lower = metric in ("loss", "expected_calibration_error")
        scored = [r for r in self.rows if r.get(metric) is not None]
        if not scored:
            raise ValueError(f"no run has a value for {metric!r}")
        pick = min if lower else max
        return pick(scored, key=lambda r: r[metric])["name"]

    def figure(self) -> Any:
        """Grouped bar chart of accuracy, top-k accuracy and macro F1 per run."""
        from foodvision.evaluation.figures import plot_comparison

        return plot_comparison(self.rows, CHART_METRICS, title="Runs compared")

    def to_dict(self) -> dict[str, Any]:
        """The content of ``comparison.json``."""
        return {"runs": list(self.rows), "per_class_f1": self.per_class_f1}

    def to_html(
        self, png: bytes, *, out_dir: str | os.PathLike | None = None, embed_images: bool = True
    ) -> str:
        """The comparison page; ``png`` is the bar chart."""
        headers = [
            "run",
            "accuracy",
            "top-k accuracy",
            "macro F1",
            "weighted F1",
            "loss",
            "ECE",
            "images",
        ]
        rows, classes = [], {}
        for r, row in enumerate(self.rows):
            k = row.get("top_k")
            rows.append(
                [
                    row["name"],
                    number(row["accuracy"]),
                    f"{number(row['top_k_accuracy'])} (k={k})" if k else number(None),
                    number(row["macro_f1"]),
                    number(row["weighted_f1"]),
                    number(row["loss"]),
                    number(row["expected_calibration_error"]),
                    row.get("num_samples") or "-",
                ]
            )
            if row["name"] == self.best("accuracy"):
                classes[(r, 1)] = "diag"
        parts = [
            "<h1>Runs compared</h1>",
            f'<p class="meta">{len(self.rows)} runs; best accuracy: '
            f"<b>{esc(self.best('accuracy'))}</b></p>",
            html.image(
                png,
                "comparison.png",
                "comparison chart",
                "Accuracy, top-k accuracy and macro F1 of each run.",
                embed_images,
            ),
            html.table(headers, rows, cell_classes=classes),
        ]
        if self.per_class_f1:
            names = self.names
            class_rows = [
                [cls, *[number(scores.get(n)) for n in names]]
                for cls, scores in self.per_class_f1.items()
            ]
            parts += ["<h2>F1 per class</h2>", html.table(["class", *names], class_rows)]
        if self.sources:
            links = []
            for name, folder in self.sources.items():
                page = Path(folder) / "report.html"
                href = relative_link(page, out_dir) if out_dir else page.as_posix()
                links.append(f'<li><a href="{esc(href)}">{esc(name)}</a></li>')
            parts += ["<h2>Reports</h2>", f"<ul>{''.join(links)}</ul>"]
        return html.page("Runs compared", "\n".join(parts))

    def save(self, directory: str | os.PathLike, *, embed_images: bool = True) -> Path:
        """Write ``comparison.html``, ``comparison.png`` and ``comparison.json``.

        Returns:
            The path of ``comparison.html``.

        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        png = png_bytes(self.figure())
        (out / "comparison.png").write_bytes(png)
        with open(out / "comparison.json", "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=2)
            handle.write("\n")
        page = out / "comparison.html"
        page.write_text(self.to_html(png, out_dir=out, embed_images=embed_images), encoding="utf-8")
        return page


def compare_reports(
    reports: Mapping[str, EvaluationReport | str | os.PathLike] | Sequence[Any],
    out_dir: str | os.PathLike | None = None,
) -> ReportComparison:
    """Compare runs given as reports or as folders written by ``report.save``.

    Args:
        reports: ``{"step 1": report_or_folder, ...}`` (or a sequence of folders, named
            by their base names), in the order to show.
        out_dir: If given, also write ``comparison.html``, ``comparison.png`` and
            ``comparison.json`` there.

    Returns:
        A :class:`ReportComparison`.

    Raises:
        ValueError: If no report is given or an entry is neither a report nor a folder.
        FileNotFoundError: If a folder has no ``metrics.json``.

    Example:
        >>> comparison = compare_reports({"step 1": r1, "step 2": "runs/step2/report"},
        ...                              out_dir="runs/compare")  # doctest: +SKIP
        >>> comparison.best("accuracy")  # doctest: +SKIP
        'step 2'

    """
    if not isinstance(reports, Mapping):
        reports = {
            Path(p).name if not isinstance(p, EvaluationReport) else p.title: p for p in reports
        }
    if not reports:
        raise ValueError("no reports to compare; pass {'name': report or folder, ...}")
    rows, sources, per_class = [], {}, {}
    class_sets = []
    for name, item in reports.items():
        if isinstance(item, EvaluationReport):
            metrics = item.to_dict()
        elif isinstance(item, (str, os.PathLike)):
            metrics = load_metrics(item)
            folder = Path(item)
            sources[str(name)] = os.fspath(folder if folder.is_dir() else folder.parent)
        else:
            raise ValueError(
                f"report {name!r} is a {type(item).__name__}; pass an EvaluationReport or "
                "the folder a report was saved to"
            )
        rows.append(_row(str(name), metrics))
        scores = {c: v["f1"] for c, v in (metrics.get("per_class") or {}).items()}
        per_class[str(name)] = scores
        class_sets.append(list(scores))
    shared = [c for c in class_sets[0] if all(c in s for s in class_sets[1:])]
    per_class_f1 = {c: {n: per_class[n][c] for n in per_class} for c in shared}
    comparison = ReportComparison(tuple(rows), per_class_f1, sources)
    if out_dir is not None:
        comparison.save(out_dir)
    return comparison
