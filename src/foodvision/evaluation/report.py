"""The evaluation report: numbers, predictions, figures, and its saved form.

``report.save(directory)`` writes:

- ``report.html``: one page with every number, table and figure (figures embedded as data
  URIs by default, so the page alone can be moved or mailed);
- ``metrics.json``: the numbers (schema below);
- ``predictions.csv``: one row per image: ``index, file, true_index, true_class,
  predicted_index, predicted_class, confidence, correct`` (with test-time augmentation
  also ``tta_predicted_index, tta_correct``) and ``prob:<class name>`` for every class;
- one PNG per figure (:data:`FIGURE_NAMES`).

``metrics.json`` (schema version 1; keys :data:`METRICS_KEYS`, always present, in this
order; non-finite numbers are written as ``null``)::

    schema_version               1
    title, model, backend        str (model and backend may be null)
    num_samples, num_classes     int
    class_names                  [str], label i is class_names[i]
    accuracy, loss               float (loss: mean cross-entropy, probabilities clipped
                                 at 1e-7)
    top_k, top_k_accuracy        int, float
    expected_calibration_error   float
    max_calibration_error        float
    macro_avg, weighted_avg      {"precision", "recall", "f1"}: float
    per_class                    {class: {"precision", "recall", "f1": float,
                                 "support": int}}, in class order
    confusion_matrix             [[int]] raw counts, rows true, columns predicted
    confusion_matrix_normalized  [[float]] rows divided by their sums
    calibration                  {"n_bins": int, "bin_edges": [n_bins + 1 floats],
                                 "bin_counts": [int], "bin_accuracy": [float|null],
                                 "bin_confidence": [float|null]}; bins are (lo, hi]
    worst_mistakes               [{"index", "file" (str|null), "true", "predicted",
                                 "confidence", "true_probability"}], most confident first
    history                      {metric: [float per epoch]} or null
    files                        {"html": "report.html", "predictions":
                                 "predictions.csv", "figures": {name: "name.png"}}
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.base.figures import png_bytes
from foodvision.base.jsonable import json_safe
from foodvision.evaluation.metrics import (
    Calibration,
    ClassificationMetrics,
    classification_metrics,
    macro_and_weighted,
)

SCHEMA_VERSION = 1

#: Top-level keys of ``metrics.json``, always present (``history`` may be ``null``).
METRICS_KEYS = (
    "schema_version",
    "title",
    "model",
    "backend",
    "num_samples",
    "num_classes",
    "class_names",
    "accuracy",
    "loss",
    "top_k",
    "top_k_accuracy",
    "expected_calibration_error",
    "max_calibration_error",
    "macro_avg",
    "weighted_avg",
    "per_class",
    "confusion_matrix",
    "confusion_matrix_normalized",
    "calibration",
    "worst_mistakes",
    "history",
    "tta",
    "files",
)

#: Figures a report may have, in page order (``name`` -> PNG ``name.png``).
FIGURE_NAMES = (
    "training_curves",
    "confusion_matrix",
    "per_class_f1",
    "reliability",
    "worst_mistakes",
    "filters",
    "feature_maps",
    "grad_cam",
)


@dataclass(frozen=True)
class Mistake:
    """A wrong prediction.

    Attributes:
        index: Position of the image in the evaluated dataset.
        true_index: True class index.
        predicted_index: Predicted class index.
        true_name: True class name.
        predicted_name: Predicted class name.
        confidence: Probability of the predicted class.
        true_probability: Probability given to the true class.
        file: Path of the image file, when known.

    """

    index: int
    true_index: int
    predicted_index: int
    true_name: str
    predicted_name: str
    confidence: float
    true_probability: float
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used in ``metrics.json``."""
        return {
            "index": self.index,
            "file": self.file,
            "true": self.true_name,
            "predicted": self.predicted_name,
            "confidence": self.confidence,
            "true_probability": self.true_probability,
        }


@dataclass(frozen=True)
class Interpretation:
    """What the report shows from inside the model.

    Attributes:
        filters: First-layer kernels ``(filters, kh, kw, channels)``, or ``None``.
        filters_layer: Path of that layer.
        feature_image: The image whose feature maps are shown.
        feature_maps: ``{layer path: (h, w, channels)}``.
        grad_cam_layer: The layer Grad-CAM weighted.
        grad_cam_images: Images explained.
        grad_cam_heatmaps: ``(N, H, W)`` maps in ``[0, 1]`` (for the predicted class).
        grad_cam_titles: One caption per image.
        note: Why something is missing, shown on the page.

    """

    filters: np.ndarray | None = None
    filters_layer: str | None = None
    feature_image: np.ndarray | None = None
    feature_maps: dict[str, np.ndarray] = field(default_factory=dict)
    grad_cam_layer: str | None = None
    grad_cam_images: np.ndarray | None = None
    grad_cam_heatmaps: np.ndarray | None = None
    grad_cam_titles: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class EvaluationReport:
    """Everything measured about a classifier on one dataset.

    Build it with :func:`foodvision.evaluation.evaluate` (from a model and a dataset) or
    :func:`foodvision.evaluation.evaluate_predictions` (from probabilities), or read a saved
    one with :meth:`load`.

    Attributes:
        class_names: Class names; index ``i`` is ``class_names[i]``.
        labels: ``(N,)`` true class indices.
        probabilities: ``(N, classes)`` predicted probabilities.
        metrics: The scores (also reachable as ``report.accuracy`` and so on).
        files: File path of each image, or ``None`` when unknown.
        history: Per-epoch training values (``{"loss": [...], "val_loss": [...]}``) or
            ``None``.
        mistakes: The most confident wrong predictions, most confident first.
        mistake_images: ``{dataset index: image}`` for the mistakes that have an image.
        interpretation: Filters, feature maps and Grad-CAM, or ``None``.
        title: Title of the page.
        model_name: Name of the evaluated model.
        backend: Keras backend used.
        tta: With test-time augmentation (``evaluate(..., tta=True)``), the same images
            scored on the mean output over the views: ``{"views": [...], "accuracy":
            ..., "loss": ..., "probabilities": (N, classes)}``; else ``None``.

    Example:
        >>> report = evaluate(model, data.test, data.class_names)  # doctest: +SKIP
        >>> report.accuracy, report.per_class["pizza"]["f1"]  # doctest: +SKIP
        >>> report.save("runs/step1/report")  # doctest: +SKIP

    """

    class_names: tuple[str, ...]
    labels: np.ndarray
    probabilities: np.ndarray
    metrics: ClassificationMetrics
    files: tuple[str, ...] | None = None
    history: dict[str, list[float]] | None = None
    mistakes: tuple[Mistake, ...] = ()
    mistake_images: dict[int, np.ndarray] = field(default_factory=dict)
    interpretation: Interpretation | None = None
    title: str = "Evaluation report"
    model_name: str | None = None
    backend: str | None = None
    tta: dict[str, Any] | None = None

    # --- the numbers -------------------------------------------------------------------

    @property
    def num_samples(self) -> int:
        """Number of evaluated images."""
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def accuracy(self) -> float:
        """Fraction of correct top-1 predictions."""
        return self.metrics.accuracy

    @property
    def loss(self) -> float:
        """Mean categorical cross-entropy."""
        return self.metrics.loss

    @property
    def top_k(self) -> int:
        """The ``k`` of :attr:`top_k_accuracy`."""
        return self.metrics.top_k

    @property
    def top_k_accuracy(self) -> float:
        """Fraction of images whose true class is among the ``top_k`` most probable."""
        return self.metrics.top_k_accuracy

    @property
    def confusion_matrix(self) -> np.ndarray:
        """Raw counts, rows true class, columns predicted class."""
        return self.metrics.confusion_matrix

    @property
    def confusion_matrix_normalized(self) -> np.ndarray:
        """The confusion matrix with each row divided by its sum."""
        return self.metrics.confusion_matrix_normalized

    @property
    def calibration(self) -> Calibration:
        """Reliability bins and calibration errors."""
        return self.metrics.calibration

    @property
    def ece(self) -> float:
        """Expected calibration error."""
        return self.metrics.calibration.ece

    @property
    def predictions(self) -> np.ndarray:
        """``(N,)`` predicted class indices."""
        return self.probabilities.argmax(axis=1)

    @property
    def confidences(self) -> np.ndarray:
        """``(N,)`` probability of the predicted class."""
        return self.probabilities.max(axis=1)

    @property
    def per_class(self) -> dict[str, dict[str, float]]:
        """``{class: {"precision", "recall", "f1", "support"}}`` in class order."""
        m = self.metrics
        return {
            name: {
                "precision": float(m.precision[i]),
                "recall": float(m.recall[i]),
                "f1": float(m.f1[i]),
                "support": int(m.support[i]),
            }
            for i, name in enumerate(self.class_names)
        }

    def _averages(self) -> tuple[dict[str, float], dict[str, float]]:
        m = self.metrics
        macro, weighted = {}, {}
        for key, values in (("precision", m.precision), ("recall", m.recall), ("f1", m.f1)):
            macro[key], weighted[key] = macro_and_weighted(values, m.support)
        return macro, weighted

    @property
    def macro_avg(self) -> dict[str, float]:
        """Unweighted mean precision, recall and F1 over classes."""
        return self._averages()[0]

    @property
    def weighted_avg(self) -> dict[str, float]:
        """Support-weighted mean precision, recall and F1."""
        return self._averages()[1]

    @property
    def worst_mistakes(self) -> tuple[Mistake, ...]:
        """The most confident wrong predictions (alias of :attr:`mistakes`)."""
        return self.mistakes

    def to_dict(self) -> dict[str, Any]:
        """The content of ``metrics.json`` (keys :data:`METRICS_KEYS`), JSON-safe."""
        macro, weighted = self._averages()
        cal = self.calibration
        figures = {name: f"{name}.png" for name in self.available_figures()}
        data = {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "model": self.model_name,
            "backend": self.backend,
            "num_samples": self.num_samples,
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "accuracy": self.accuracy,
            "loss": self.loss,
            "top_k": self.top_k,
            "top_k_accuracy": self.top_k_accuracy,
            "expected_calibration_error": cal.ece,
            "max_calibration_error": cal.mce,
            "macro_avg": macro,
            "weighted_avg": weighted,
            "per_class": self.per_class,
            "confusion_matrix": self.confusion_matrix,
            "confusion_matrix_normalized": self.confusion_matrix_normalized,
            "calibration": {
                "n_bins": cal.n_bins,
                "bin_edges": cal.bin_edges,
                "bin_counts": cal.bin_counts,
                "bin_accuracy": cal.bin_accuracy,
                "bin_confidence": cal.bin_confidence,
            },
            "worst_mistakes": [m.to_dict() for m in self.mistakes],
            "history": self.history or None,
            "tta": (
                {k: v for k, v in self.tta.items() if k != "probabilities"} if self.tta else None
            ),
            "files": {
                "html": "report.html",
                "predictions": "predictions.csv",
                "figures": figures,
            },
        }
        return json_safe(data)

    def summary(self) -> str:
        """A plain-text summary: headline numbers and the per-class table.

        Example:
            >>> print(report.summary())  # doctest: +SKIP

        """
        width = max([5] + [len(n) for n in self.class_names])
        lines = [
            f"{self.title}: {self.num_samples} images, {self.num_classes} classes",
            f"accuracy {self.accuracy:.4f}   top-{self.top_k} {self.top_k_accuracy:.4f}   "
            f"loss {self.loss:.4f}   ECE {self.ece:.4f}   macro F1 {self.macro_avg['f1']:.4f}",
        ]
        if self.tta:
            lines.append(
                f"with test-time augmentation ({' + '.join(self.tta['views'])}): accuracy "
                f"{self.tta['accuracy']:.4f}   loss {self.tta['loss']:.4f}"
            )
        lines += ["", f"{'class':<{width}}  precision  recall     f1  support"]
        for name, row in self.per_class.items():
            lines.append(
                f"{name:<{width}}  {row['precision']:9.3f}  {row['recall']:6.3f}  "
                f"{row['f1']:5.3f}  {row['support']:7d}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"EvaluationReport(title={self.title!r}, num_samples={self.num_samples}, "
            f"accuracy={self.accuracy:.4f}, top_{self.top_k}_accuracy="
            f"{self.top_k_accuracy:.4f}, loss={self.loss:.4f}, ece={self.ece:.4f})"
        )

    # --- figures -----------------------------------------------------------------------

    def available_figures(self) -> list[str]:
        """Names of the figures this report can draw, in page order."""
        names = ["confusion_matrix", "per_class_f1", "reliability"]
        if self.history and any(v for v in self.history.values()):
            names.insert(0, "training_curves")
        if any(m.index in self.mistake_images for m in self.mistakes):
            names.append("worst_mistakes")
        interp = self.interpretation
        if interp is not None:
            if interp.filters is not None:
                names.append("filters")
            if interp.feature_maps:
                names.append("feature_maps")
            if interp.grad_cam_heatmaps is not None:
                names.append("grad_cam")
        return names

    def figure(self, name: str) -> Any:
        """Draw one figure (a ``matplotlib.figure.Figure``) by its name in :data:`FIGURE_NAMES`.

        Raises:
            ValueError: If the name is unknown or the report lacks what it needs.

        """
        from foodvision.evaluation import figures, galleries

        available = self.available_figures()
        if name not in available:
            raise ValueError(f"this report has no figure {name!r}; it has {', '.join(available)}")
        if name == "training_curves":
            return figures.plot_training_curves(self.history)
        if name == "confusion_matrix":
            return figures.plot_confusion_matrix(
                self.confusion_matrix, self.class_names, self.confusion_matrix_normalized
            )
        if name == "per_class_f1":
            return figures.plot_per_class_f1(
                self.metrics.f1, self.class_names, self.metrics.support
            )
        if name == "reliability":
            return figures.plot_reliability_diagram(self.calibration)
        if name == "worst_mistakes":
            shown = [m for m in self.mistakes if m.index in self.mistake_images]
            return galleries.plot_mistakes(
                [self.mistake_images[m.index] for m in shown],
                [m.true_name for m in shown],
                [m.predicted_name for m in shown],
                [m.confidence for m in shown],
                [m.file for m in shown],
            )
        interp = self.interpretation
        assert interp is not None
        if name == "filters":
            return galleries.plot_filters(
                interp.filters, title=f"First-layer filters ({interp.filters_layer})"
            )
        if name == "feature_maps":
            return galleries.plot_feature_maps(interp.feature_maps, interp.feature_image)
        return galleries.plot_grad_cam(
            interp.grad_cam_images,
            interp.grad_cam_heatmaps,
            list(interp.grad_cam_titles) or None,
            title=f"Grad-CAM on {interp.grad_cam_layer} (predicted class)",
        )

    def figures(self) -> dict[str, Any]:
        """All available figures, ``{name: Figure}``."""
        return {name: self.figure(name) for name in self.available_figures()}

    # --- saving and loading --------------------------------------------------------------

    def save(self, directory: str | os.PathLike, *, embed_images: bool = True) -> Path:
        """Write ``report.html``, ``metrics.json``, ``predictions.csv`` and the PNGs.

        Args:
            directory: Folder to write into (created if missing).
            embed_images: Embed the figures in the page as data URIs (the page then stands
                alone); otherwise the page refers to the PNGs by relative path.

        Returns:
            The path of ``report.html``.

        Example:
            >>> report.save("runs/step1/report")  # doctest: +SKIP
            PosixPath('runs/step1/report/report.html')

        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        pngs: dict[str, bytes] = {}
        for name in self.available_figures():
            pngs[name] = png_bytes(self.figure(name))
            (out / f"{name}.png").write_bytes(pngs[name])
        with open(out / "metrics.json", "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=2, allow_nan=False)
            handle.write("\n")
        self._write_predictions(out / "predictions.csv")
        page = out / "report.html"
        page.write_text(self.to_html(pngs, embed_images=embed_images), encoding="utf-8")
        return page

    def predictions_table(self) -> list[dict[str, Any]]:
        """One dict per image: index, file, true/predicted class, confidence, correct.

        With test-time augmentation (:attr:`tta`) also the class its mean output
        predicts and whether that is right.
        """
        predicted = self.predictions
        confidence = self.confidences
        tta = self.tta["probabilities"].argmax(axis=1) if self.tta else None
        rows = []
        for i, (label, guess) in enumerate(zip(self.labels, predicted)):
            rows.append(
                {
                    "index": i,
                    "file": self.files[i] if self.files else "",
                    "true_index": int(label),
                    "true_class": self.class_names[label],
                    "predicted_index": int(guess),
                    "predicted_class": self.class_names[guess],
                    "confidence": float(confidence[i]),
                    "correct": bool(label == guess),
                }
            )
            if tta is not None:
                rows[-1].update(tta_predicted_index=int(tta[i]), tta_correct=bool(label == tta[i]))
        return rows

    def _write_predictions(self, path: Path) -> None:
        prob_columns = [f"prob:{name}" for name in self.class_names]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            rows = self.predictions_table()
            header = list(rows[0].keys()) if rows else []
            writer.writerow(header + prob_columns)
            for row, probs in zip(rows, self.probabilities):
                values = [row[k] for k in header]
                values[header.index("confidence")] = f"{row['confidence']:.6g}"
                writer.writerow(values + [f"{p:.6g}" for p in probs])

    @classmethod
    def load(cls, directory: str | os.PathLike) -> EvaluationReport:
        """Read a report written by :meth:`save` (without images and interpretation).

        The numbers are recomputed from ``predictions.csv`` and the settings in
        ``metrics.json``.

        Raises:
            FileNotFoundError: If ``metrics.json`` or ``predictions.csv`` is missing.

        """
        folder = Path(directory)
        data = load_metrics(folder)
        class_names = tuple(data["class_names"])
        path = folder / data.get("files", {}).get("predictions", "predictions.csv")
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found; save the report with report.save()")
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        labels = np.array([int(r["true_index"]) for r in rows], dtype=int)
        probabilities = np.array(
            [[float(r[f"prob:{n}"]) for n in class_names] for r in rows], dtype="float64"
        ).reshape(len(rows), len(class_names))
        files = tuple(r["file"] for r in rows) if any(r["file"] for r in rows) else None
        metrics = classification_metrics(
            labels, probabilities, top_k=data["top_k"], n_bins=data["calibration"]["n_bins"]
        )
        mistakes = tuple(
            Mistake(
                index=int(m["index"]),
                true_index=class_names.index(m["true"]),
                predicted_index=class_names.index(m["predicted"]),
                true_name=m["true"],
                predicted_name=m["predicted"],
                confidence=float(m["confidence"]),
                true_probability=float(m["true_probability"]),
                file=m.get("file"),
            )
            for m in data.get("worst_mistakes", [])
        )
        return cls(
            class_names=class_names,
            labels=labels,
            probabilities=probabilities,
            metrics=metrics,
            files=files,
            history=data.get("history"),
            mistakes=mistakes,
            title=data.get("title", "Evaluation report"),
            model_name=data.get("model"),
            backend=data.get("backend"),
        )

    # --- HTML ------------------------------------------------------------------------

    def to_html(self, pngs: Mapping[str, bytes] | None = None, *, embed_images: bool = True) -> str:
        """The report page. ``pngs`` maps figure names to PNG bytes (drawn when missing)."""
        from foodvision.evaluation.report_html import render_report

        if pngs is None:
            pngs = {name: png_bytes(self.figure(name)) for name in self.available_figures()}
        return render_report(self, pngs, embed_images=embed_images)


def load_metrics(directory: str | os.PathLike) -> dict[str, Any]:
    """Read ``metrics.json`` from a saved report folder (or the file itself).

    Raises:
        FileNotFoundError: If there is no ``metrics.json``.
        ValueError: If the file is not a foodvision report.

    """
    path = Path(directory)
    if path.is_dir():
        path = path / "metrics.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found; pass a folder written by EvaluationReport.save()"
        )
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or "schema_version" not in data or "accuracy" not in data:
        raise ValueError(f"{path} is not a foodvision metrics.json (no schema_version/accuracy)")
    return data
