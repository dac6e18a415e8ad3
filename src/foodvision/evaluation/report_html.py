"""The HTML page of an :class:`~foodvision.evaluation.report.EvaluationReport`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from foodvision.base import html
from foodvision.base.html import esc, number

if TYPE_CHECKING:
    from foodvision.evaluation.report import EvaluationReport

CAPTIONS = {
    "training_curves": "Loss and accuracy per epoch on the training and validation data. A "
    "validation curve that turns up while training keeps improving means overfitting.",
    "confusion_matrix": "Rows are the true classes, columns the predicted ones. Left: counts; "
    "right: each row divided by its total, so the diagonal is the recall of each class.",
    "per_class_f1": "F1 score (harmonic mean of precision and recall) per class, worst at the top.",
    "reliability": "Accuracy of the predictions grouped by their confidence. Bars under the "
    "diagonal mean over-confidence; the expected calibration error (ECE) is the "
    "count-weighted mean gap.",
    "worst_mistakes": "The wrong predictions made with the highest confidence.",
    "filters": "Kernels of the first convolution layer, each scaled to its own range.",
    "feature_maps": "The most active channels of chosen layers for one image: early layers "
    "respond to edges and colours, later ones to larger parts.",
    "grad_cam": "Grad-CAM: regions that raised the score of the predicted class most (red).",
}


def _figure(name: str, pngs: Mapping[str, bytes], embed: bool) -> str:
    if name not in pngs:
        return ""
    return html.image(pngs[name], f"{name}.png", name.replace("_", " "), CAPTIONS[name], embed)


def _confusion_table(report: EvaluationReport) -> str:
    names = list(report.class_names)
    matrix = report.confusion_matrix
    rows, classes = [], {}
    for i, name in enumerate(names):
        rows.append([name, *[int(v) for v in matrix[i]], int(matrix[i].sum())])
        for j in range(len(names)):
            if i == j:
                classes[(i, j + 1)] = "diag"
            elif matrix[i, j] > 0 and matrix[i, j] >= 0.2 * max(matrix[i].sum(), 1):
                classes[(i, j + 1)] = "bad"
    rows.append(["total predicted", *[int(v) for v in matrix.sum(axis=0)], int(matrix.sum())])
    headers = ["true \\ predicted", *names, "total"]
    return html.table(headers, rows, cell_classes=classes, table_class="confusion")


def _mistake_table(report: EvaluationReport) -> str:
    rows = [
        [
            rank + 1,
            m.index,
            m.true_name,
            m.predicted_name,
            number(m.confidence),
            number(m.true_probability),
            m.file or "-",
        ]
        for rank, m in enumerate(report.mistakes)
    ]
    headers = ["#", "index", "true", "predicted", "confidence", "P(true)", "file"]
    return html.table(headers, rows, text_columns=(2, 3, 6))


def _history_table(report: EvaluationReport) -> str:
    history = report.history or {}
    keys = [k for k, v in history.items() if v]
    if not keys:
        return ""
    epochs = max(len(history[k]) for k in keys)
    rows = [
        [
            epoch + 1,
            *[number(history[k][epoch], 4) if epoch < len(history[k]) else "-" for k in keys],
        ]
        for epoch in range(epochs)
    ]
    return html.table(["epoch", *keys], rows, text_columns=())


def class_rows(report: EvaluationReport) -> list[Sequence[Any]]:
    """Rows of the per-class table: class, precision, recall, F1, support."""
    return [
        [name, number(r["precision"]), number(r["recall"]), number(r["f1"]), r["support"]]
        for name, r in report.per_class.items()
    ]


def _summary_section(report: EvaluationReport) -> list[str]:
    macro, weighted = report.macro_avg, report.weighted_avg
    meta = [f"{report.num_samples} images", f"{report.num_classes} classes"]
    if report.model_name:
        meta.append(f"model <code>{esc(report.model_name)}</code>")
    if report.backend:
        meta.append(f"Keras backend <code>{esc(report.backend)}</code>")
    return [
        f"<h1>{esc(report.title)}</h1>",
        f'<p class="meta">{" &middot; ".join(meta)}</p>',
        html.cards(
            [
                ("accuracy", f"{report.accuracy:.1%}"),
                (f"top-{report.top_k} accuracy", f"{report.top_k_accuracy:.1%}"),
                ("macro F1", f"{macro['f1']:.3f}"),
                ("loss (cross-entropy)", f"{report.loss:.3f}"),
                ("calibration error (ECE)", f"{report.ece:.3f}"),
            ]
        ),
        "<h2>Summary</h2>",
        html.table(
            ["metric", "value"],
            [
                ["accuracy", number(report.accuracy, 4)],
                [f"top-{report.top_k} accuracy", number(report.top_k_accuracy, 4)],
                ["loss (mean cross-entropy)", number(report.loss, 4)],
                ["expected calibration error", number(report.ece, 4)],
                ["maximum calibration error", number(report.calibration.mce, 4)],
                [
                    "macro precision / recall / F1",
                    " / ".join(number(macro[k]) for k in ("precision", "recall", "f1")),
                ],
                [
                    "weighted precision / recall / F1",
                    " / ".join(number(weighted[k]) for k in ("precision", "recall", "f1")),
                ],
                ["images", report.num_samples],
                *_tta_rows(report),
            ],
        ),
    ]


def _tta_rows(report: EvaluationReport) -> list[list[Any]]:
    """Accuracy and loss with test-time augmentation, beside the plain ones."""
    if not report.tta:
        return []
    views = " + ".join(report.tta["views"])
    return [
        [f"accuracy with test-time augmentation ({views})", number(report.tta["accuracy"], 4)],
        [f"loss with test-time augmentation ({views})", number(report.tta["loss"], 4)],
    ]


def _training_section(report: EvaluationReport, pngs: Mapping[str, bytes], embed: bool) -> list:
    if "training_curves" not in pngs:
        return []
    return [
        "<h2>Training</h2>",
        _figure("training_curves", pngs, embed),
        "<details><summary>values per epoch</summary>",
        _history_table(report),
        "</details>",
    ]


def _class_sections(report: EvaluationReport, pngs: Mapping[str, bytes], embed: bool) -> list:
    """Per-class scores, the confusion matrix and the calibration."""
    worst = int(np.argmin(report.metrics.f1)) if report.num_classes else 0
    calibration = report.calibration
    bins = [
        [f"{lo:.2f}-{hi:.2f}", int(n), number(acc), number(conf)]
        for lo, hi, n, acc, conf in zip(
            calibration.bin_edges[:-1],
            calibration.bin_edges[1:],
            calibration.bin_counts,
            calibration.bin_accuracy,
            calibration.bin_confidence,
        )
        if n > 0
    ]
    return [
        "<h2>Per class</h2>",
        '<div class="grid"><div>',
        html.table(
            ["class", "precision", "recall", "F1", "support"],
            class_rows(report),
            cell_classes={(worst, 3): "bad"},
        ),
        "</div>",
        _figure("per_class_f1", pngs, embed),
        "</div>",
        "<h2>Confusion matrix</h2>",
        _figure("confusion_matrix", pngs, embed),
        "<details open><summary>counts (rows: true class, columns: predicted)</summary>",
        _confusion_table(report),
        "</details>",
        "<h2>Calibration</h2>",
        '<div class="grid">',
        _figure("reliability", pngs, embed),
        "<div>",
        html.table(["confidence bin", "images", "accuracy", "mean confidence"], bins),
        "</div></div>",
    ]


def _mistakes_and_inside(report: EvaluationReport, pngs: Mapping[str, bytes], embed: bool) -> list:
    """The worst mistakes, then filters, feature maps and Grad-CAM when there are."""
    parts = ["<h2>Worst mistakes</h2>"]
    if report.mistakes:
        parts += [_figure("worst_mistakes", pngs, embed), _mistake_table(report)]
    else:
        parts.append('<p class="note">No wrong predictions.</p>')
    interp = report.interpretation
    if interp is not None:
        parts.append("<h2>Inside the model</h2>")
        if interp.note:
            parts.append(f'<p class="note">{esc(interp.note)}</p>')
        parts += [_figure(name, pngs, embed) for name in ("grad_cam", "feature_maps", "filters")]
    return parts


def _files_section(pngs: Mapping[str, bytes], embed: bool) -> list[str]:
    links = [("metrics.json", "metrics.json"), ("predictions.csv", "predictions.csv")]
    if not embed:
        links += [(f"{n}.png", f"{n}.png") for n in pngs]
    return [
        "<h2>Files</h2>",
        "<p>"
        + " &middot; ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for text, href in links)
        + "</p>",
        '<p class="note">Precision, recall and F1 from scikit-learn (a class never predicted '
        "has precision 0). ECE uses equal-width confidence bins (lo, hi]. Loss is the mean "
        "cross-entropy of the predicted probabilities.</p>",
    ]


def render_report(
    report: EvaluationReport, pngs: Mapping[str, bytes], *, embed_images: bool = True
) -> str:
    """Render the report page; figures come from ``pngs`` (``{name: PNG bytes}``)."""
    parts = [
        *_summary_section(report),
        *_training_section(report, pngs, embed_images),
        *_class_sections(report, pngs, embed_images),
        *_mistakes_and_inside(report, pngs, embed_images),
        *_files_section(pngs, embed_images),
    ]
    return html.page(report.title, "\n".join(p for p in parts if p))
