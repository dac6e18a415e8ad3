"""Figures of an evaluation: training curves, confusion matrix, per-class F1, reliability.

Every function returns a ``matplotlib.figure.Figure`` (Agg canvas, no pyplot state); save it
with ``figure.savefig(path)`` or :func:`foodvision.evaluation.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from foodvision.base.figures import class_label, new_figure, short_label, tick_font_size
from foodvision.evaluation.history import history_dict
from foodvision.evaluation.metrics import Calibration

TRAIN_COLOUR = "#1f77b4"
VAL_COLOUR = "#ff7f0e"


def _metric_pairs(history: Mapping[str, Sequence[float]]) -> list[str]:
    """Training metric names to plot: loss first, then accuracy-like metrics, then the rest."""
    names = [k for k in history if not k.startswith("val_") and k not in ("lr", "learning_rate")]
    names = [k for k in names if history[k]]

    def order(name: str) -> tuple[int, str]:
        if name == "loss":
            return 0, name
        return (1 if "acc" in name else 2), name

    return sorted(names, key=order)[:4]


def plot_training_curves(history: Any, *, title: str = "Training curves") -> Any:
    """Loss and accuracy per epoch, training vs validation, one panel per metric.

    Args:
        history: A ``keras.callbacks.History``, its ``.history`` dict or a ``history.csv``.
        title: Figure title.

    Raises:
        ValueError: If the history has no per-epoch values.

    Example:
        >>> figure = plot_training_curves(model.fit(...))  # doctest: +SKIP

    """
    values = history_dict(history)
    metrics = _metric_pairs(values)
    if not metrics:
        raise ValueError("the history has no per-epoch values to plot; train for an epoch first")
    figure = new_figure(4.2 * len(metrics), 3.4)
    axes = figure.subplots(1, len(metrics), squeeze=False)[0]
    for axis, name in zip(axes, metrics):
        train = values[name]
        epochs = np.arange(1, len(train) + 1)
        axis.plot(epochs, train, marker="o", markersize=3, color=TRAIN_COLOUR, label="train")
        validation = values.get(f"val_{name}")
        if validation:
            val_epochs = np.arange(1, len(validation) + 1)
            axis.plot(
                val_epochs,
                validation,
                marker="s",
                markersize=3,
                color=VAL_COLOUR,
                label="validation",
            )
        axis.set_title(name.replace("_", " "))
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        if "acc" in name:
            axis.set_ylim(0, 1.02)
        if len(epochs) <= 12:
            axis.set_xticks(epochs)
        axis.legend(loc="best", fontsize=8)
    figure.suptitle(title)
    return figure


def _matrix_panel(
    figure: Any,
    axis: Any,
    matrix: np.ndarray,
    names: Sequence[str],
    title: str,
    fmt: str,
    vmax: float | None,
) -> None:
    count = len(names)
    image = axis.imshow(matrix, cmap="Blues", vmin=0, vmax=vmax, interpolation="nearest")
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.02)
    size = tick_font_size(count)
    axis.set_xticks(
        np.arange(count),
        [short_label(n) for n in names],
        rotation=45,
        ha="right",
        rotation_mode="anchor",
        fontsize=size,
    )
    y_labels = [class_label(n) if count <= 20 else short_label(n) for n in names]
    axis.set_yticks(np.arange(count), y_labels, fontsize=size)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    axis.set_title(title)
    if count <= 25:
        threshold = (np.nanmax(matrix) if matrix.size else 0) / 2.0
        for (row, col), value in np.ndenumerate(matrix):
            axis.text(
                col,
                row,
                format(value, fmt),
                ha="center",
                va="center",
                fontsize=max(size - 1, 5),
                color="white" if value > threshold else "black",
            )


def plot_confusion_matrix(
    matrix: Any,
    class_names: Sequence[str],
    normalized: Any | None = None,
    *,
    title: str = "Confusion matrix",
) -> Any:
    """Heatmaps of the confusion matrix: raw counts and row-normalised (recall per row).

    Args:
        matrix: ``(classes, classes)`` counts, rows true, columns predicted.
        class_names: Names of the classes, in index order.
        normalized: Row-normalised matrix; computed from ``matrix`` when ``None``.
        title: Figure title.

    Example:
        >>> figure = plot_confusion_matrix([[3, 1], [0, 4]], ["baby_back_ribs", "pizza"])

    """
    counts = np.asarray(matrix)
    if counts.ndim != 2 or counts.shape != (len(class_names), len(class_names)):
        raise ValueError(
            f"matrix has shape {counts.shape} but there are {len(class_names)} class names"
        )
    if normalized is None:
        rows = counts.sum(axis=1, keepdims=True)
        normalized = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    count = len(class_names)
    font = tick_font_size(count) / 72.0  # inches per point
    y_texts = [class_label(n) if count <= 20 else short_label(n) for n in class_names]
    y_label = max((len(line) for text in y_texts for line in text.split("\n")), default=4)
    x_label = max((len(short_label(n)) for n in class_names), default=4)
    cells = min(max(2.4, 0.42 * count), 13.0)
    width = cells + 0.62 * font * y_label + 1.6
    height = cells + 0.5 * font * x_label + 1.4
    figure = new_figure(2 * width, height)
    axes = figure.subplots(1, 2)
    _matrix_panel(figure, axes[0], counts, class_names, "counts", "d", None)
    _matrix_panel(
        figure,
        axes[1],
        np.asarray(normalized, dtype=float),
        class_names,
        "normalised by true class (rows sum to 1)",
        ".2f",
        1.0,
    )
    figure.suptitle(title)
    return figure


def plot_per_class_f1(
    f1: Any,
    class_names: Sequence[str],
    support: Any | None = None,
    *,
    title: str = "F1 score per class",
) -> Any:
    """Horizontal bars of the F1 score per class, worst at the top, with the support.

    Example:
        >>> figure = plot_per_class_f1([0.9, 0.5], ["pizza", "sushi"], [10, 12])
        >>> figure.axes[0].get_title()
        'F1 score per class'

    """
    scores = np.asarray(f1, dtype=float)
    if len(scores) != len(class_names):
        raise ValueError(f"{len(scores)} F1 scores for {len(class_names)} class names")
    order = np.argsort(scores, kind="stable")[::-1]
    count = len(scores)
    figure = new_figure(7.0, min(max(2.0, 0.32 * count + 1.2), 30.0))
    axis = figure.subplots()
    positions = np.arange(count)
    colours = ["#d62728" if s < 0.5 else "#ff7f0e" if s < 0.8 else "#2ca02c" for s in scores[order]]
    axis.barh(positions, scores[order], color=colours)
    labels = [class_label(class_names[i], width=24).replace("\n", " ") for i in order]
    axis.set_yticks(positions, labels, fontsize=tick_font_size(count))
    axis.set_xlim(0, 1.15)
    axis.set_xlabel("F1 score")
    axis.set_title(title)
    axis.grid(axis="x", alpha=0.3)
    for position, index in zip(positions, order):
        text = f"{scores[index]:.2f}"
        if support is not None:
            text += f"  (n={int(np.asarray(support)[index])})"
        axis.text(
            scores[index] + 0.01,
            position,
            text,
            va="center",
            fontsize=max(tick_font_size(count) - 1, 4),
        )
    return figure


def plot_reliability_diagram(calibration: Calibration, *, title: str = "Reliability") -> Any:
    """Accuracy vs confidence per bin against the diagonal, with the bin counts below.

    Example:
        >>> from foodvision.evaluation.metrics import calibration_bins
        >>> figure = plot_reliability_diagram(calibration_bins([0.9, 0.6], [True, False]))

    """
    figure = new_figure(5.2, 5.6)
    top, bottom = figure.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    edges = np.asarray(calibration.bin_edges)
    width = edges[1:] - edges[:-1]
    centres = (edges[1:] + edges[:-1]) / 2
    filled = np.asarray(calibration.bin_counts) > 0
    accuracy = np.nan_to_num(np.asarray(calibration.bin_accuracy, dtype=float))
    confidence = np.asarray(calibration.bin_confidence, dtype=float)
    top.bar(
        edges[:-1][filled],
        accuracy[filled],
        width=width[filled],
        align="edge",
        color="#1f77b4",
        edgecolor="white",
        label="accuracy",
    )
    gap_bottom = np.minimum(accuracy, np.nan_to_num(confidence))[filled]
    gap = np.abs(accuracy - np.nan_to_num(confidence))[filled]
    top.bar(
        edges[:-1][filled],
        gap,
        bottom=gap_bottom,
        width=width[filled],
        align="edge",
        color="#d62728",
        alpha=0.3,
        hatch="//",
        label="gap to confidence",
    )
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    top.set_ylim(0, 1)
    top.set_xlim(0, 1)
    top.set_ylabel("accuracy")
    top.legend(loc="upper left", fontsize=8)
    top.set_title(f"{title} (ECE {calibration.ece:.3f})")
    bottom.bar(centres, calibration.bin_counts, width=width * 0.9, color="grey")
    bottom.set_ylabel("count")
    bottom.set_xlabel("confidence (probability of the predicted class)")
    return figure


def plot_comparison(
    rows: Sequence[Mapping[str, Any]],
    metrics: Sequence[str] = ("accuracy", "top_k_accuracy", "macro_f1"),
    *,
    title: str = "Comparison",
) -> Any:
    """Grouped bars: one group per run, one bar per metric (values 0..1 printed on top).

    Args:
        rows: One mapping per run with a ``"name"`` and the metric values.
        metrics: Keys of ``rows`` to show.
        title: Figure title.

    Example:
        >>> figure = plot_comparison([{"name": "a", "accuracy": 0.5, "top_k_accuracy": 0.9,
        ...                            "macro_f1": 0.4}])

    """
    count = len(rows)
    figure = new_figure(min(max(5.0, 1.3 * count * len(metrics) / 2 + 2.5), 18.0), 4.4)
    axis = figure.subplots()
    bar = 0.8 / max(len(metrics), 1)
    positions = np.arange(count)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]
    names = {"top_k_accuracy": "top-k accuracy", "macro_f1": "macro F1"}
    for offset, metric in enumerate(metrics):
        values = [float(row.get(metric) or 0.0) for row in rows]
        shift = (offset - (len(metrics) - 1) / 2) * bar
        bars = axis.bar(
            positions + shift,
            values,
            width=bar,
            label=names.get(metric, metric.replace("_", " ")),
            color=colours[offset % len(colours)],
        )
        axis.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    axis.set_xticks(
        positions,
        [class_label(str(r["name"]), width=16) for r in rows],
        fontsize=tick_font_size(count),
    )
    axis.set_ylim(0, 1.08)
    axis.set_ylabel("score")
    axis.grid(axis="y", alpha=0.3)
    axis.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=len(metrics),
        frameon=False,
        fontsize=8,
    )
    figure.suptitle(title)
    return figure
