"""Evaluation reports: metrics (scikit-learn), figures (matplotlib), HTML/JSON/PNG bundle.

- :mod:`~foodvision.evaluation.make_report`: ``evaluate`` (a model on a dataset) and
  ``evaluate_predictions`` (from probabilities).
- :mod:`~foodvision.evaluation.report` and :mod:`~foodvision.evaluation.report_html`: the
  report, its saved files and its page.
- :mod:`~foodvision.evaluation.metrics` and :mod:`~foodvision.evaluation.significance`:
  the numbers, and whether a difference between two models is real.
- :mod:`~foodvision.evaluation.figures` and :mod:`~foodvision.evaluation.galleries`:
  the figures (the galleries need Keras).
- :mod:`~foodvision.evaluation.compare`: several reports side by side.

Example:
    >>> from foodvision.evaluation import evaluate, compare_reports
    >>> report = evaluate(model, data.test, data.class_names, history=history)  # doctest: +SKIP
    >>> report.save("runs/step1/report")  # doctest: +SKIP
    >>> compare_reports({"step 1": "runs/step1/report"}, out_dir="runs/compare")  # doctest: +SKIP

The galleries (``plot_filters``, ``plot_feature_maps``, ``plot_grad_cam``,
``plot_mistakes``) need Keras and are imported on first use, so importing this package
stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from foodvision.base.figures import save_figure
from foodvision.evaluation.compare import ReportComparison, compare_reports
from foodvision.evaluation.figures import (
    plot_comparison,
    plot_confusion_matrix,
    plot_per_class_f1,
    plot_reliability_diagram,
    plot_training_curves,
)
from foodvision.evaluation.history import history_dict
from foodvision.evaluation.make_report import evaluate, evaluate_predictions, predict_dataset
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
    PairedDifference,
    bootstrap_accuracy_ci,
    holm,
    mcnemar_test,
    paired_difference,
)

__all__ = [
    "FIGURE_NAMES",
    "METRICS_KEYS",
    "Calibration",
    "ClassificationMetrics",
    "EvaluationReport",
    "Interpretation",
    "McNemarResult",
    "Mistake",
    "PairedDifference",
    "ReportComparison",
    "bootstrap_accuracy_ci",
    "calibration_bins",
    "classification_metrics",
    "compare_reports",
    "evaluate",
    "evaluate_predictions",
    "history_dict",
    "holm",
    "load_metrics",
    "mcnemar_test",
    "paired_difference",
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
