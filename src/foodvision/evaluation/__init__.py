"""Evaluation reports: metrics (scikit-learn), figures (matplotlib), HTML/JSON/PNG bundle.

Example:
    >>> from foodvision.evaluation import evaluate, compare_reports
    >>> report = evaluate(model, data.test, data.class_names, history=history)  # doctest: +SKIP
    >>> report.save("runs/step1/report")  # doctest: +SKIP
    >>> compare_reports({"step 1": "runs/step1/report"}, out_dir="runs/compare")  # doctest: +SKIP

The galleries (``plot_filters``, ``plot_feature_maps``, ``plot_grad_cam``,
``plot_mistakes``) need Keras and are imported on first use, so importing this package
(the ``foodvision`` command does, to register ``evaluate``) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from foodvision.evaluation._mpl import save_figure
from foodvision.evaluation.compare import ReportComparison, compare_reports
from foodvision.evaluation.evaluate import evaluate, evaluate_predictions, predict_dataset
from foodvision.evaluation.figures import (
    plot_comparison,
    plot_confusion_matrix,
    plot_per_class_f1,
    plot_reliability_diagram,
    plot_training_curves,
)
from foodvision.evaluation.metrics import (
    Calibration,
    ClassificationMetrics,
    calibration_bins,
    classification_metrics,
)
from foodvision.evaluation.report import (
    FIGURE_NAMES,
    METRICS_KEYS,
    EvaluationReport,
    Interpretation,
    Mistake,
    load_metrics,
)
from foodvision.evaluation.significance import (
    McNemarResult,
    bootstrap_accuracy_ci,
    mcnemar_test,
)

__all__ = [
    "bootstrap_accuracy_ci",
    "mcnemar_test",
    "FIGURE_NAMES",
    "METRICS_KEYS",
    "Calibration",
    "ClassificationMetrics",
    "EvaluationReport",
    "Interpretation",
    "McNemarResult",
    "Mistake",
    "ReportComparison",
    "calibration_bins",
    "classification_metrics",
    "compare_reports",
    "evaluate",
    "evaluate_predictions",
    "load_metrics",
    "plot_comparison",
    "plot_confusion_matrix",
    "plot_feature_maps",
    "plot_filters",
    "plot_grad_cam",
    "plot_mistakes",
    "plot_per_class_f1",
    "plot_reliability_diagram",
    "plot_training_curves",
    "predict_dataset",
    "save_figure",
]

_LAZY = ("plot_feature_maps", "plot_filters", "plot_grad_cam", "plot_mistakes")


def __getattr__(name: str) -> Any:
    """Import the galleries (which need Keras) on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'foodvision.evaluation' has no attribute {name!r}")
    value = getattr(importlib.import_module("foodvision.evaluation.galleries"), name)
    globals()[name] = value
    return value
