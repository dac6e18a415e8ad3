"""Classification metrics from predicted probabilities (scikit-learn where it has them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from foodvision.base.checks import check_int

PROBABILITY_EPSILON = 1e-7


@dataclass(frozen=True)
class Calibration:
    """Reliability bins of the top-1 confidence and the expected calibration error.

    Bin ``b`` holds the predictions with confidence in ``(edges[b], edges[b + 1]]`` (the
    first bin also holds confidence 0).

    Attributes:
        bin_edges: ``n_bins + 1`` equally spaced edges from 0 to 1.
        bin_counts: Predictions per bin.
        bin_accuracy: Fraction of correct predictions per bin (``nan`` for an empty bin).
        bin_confidence: Mean confidence per bin (``nan`` for an empty bin).
        ece: Expected calibration error, ``sum_b n_b / N * |accuracy_b - confidence_b|``.
        mce: Maximum calibration error, the largest ``|accuracy_b - confidence_b|``.

    """

    bin_edges: np.ndarray
    bin_counts: np.ndarray
    bin_accuracy: np.ndarray
    bin_confidence: np.ndarray
    ece: float
    mce: float

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.bin_counts)


def calibration_bins(confidences: Any, correct: Any, n_bins: int = 15) -> Calibration:
    """Bin top-1 confidences and compare them with the accuracy in each bin.

    Args:
        confidences: ``(N,)`` probability of the predicted class.
        correct: ``(N,)`` booleans, whether each prediction was right.
        n_bins: Number of equal-width bins over ``[0, 1]``.

    Returns:
        A :class:`Calibration`.

    Example:
        >>> cal = calibration_bins([0.9, 0.9, 0.6, 0.6], [True, False, True, True], n_bins=5)
        >>> round(cal.ece, 3)  # |0.5 - 0.9| / 2 + |1.0 - 0.6| / 2
        0.4

    """
    confidences = np.asarray(confidences, dtype="float64").reshape(-1)
    correct = np.asarray(correct, dtype=bool).reshape(-1)
    if confidences.shape != correct.shape:
        raise ValueError(
            f"confidences and correct differ in length ({len(confidences)} vs {len(correct)})"
        )
    n_bins = check_int("n_bins", n_bins, 1)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    index = np.clip(np.ceil(confidences * n_bins).astype(int) - 1, 0, n_bins - 1)
    counts = np.bincount(index, minlength=n_bins)
    hits = np.bincount(index, weights=correct.astype("float64"), minlength=n_bins)
    sums = np.bincount(index, weights=confidences, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(counts > 0, hits / counts, np.nan)
        confidence = np.where(counts > 0, sums / counts, np.nan)
    gaps = np.abs(accuracy - confidence)
    total = max(int(counts.sum()), 1)
    ece = float(np.nansum(counts / total * gaps)) if counts.any() else 0.0
    mce = float(np.nanmax(gaps)) if counts.any() else 0.0
    return Calibration(edges, counts, accuracy, confidence, ece, mce)


def to_probabilities(outputs: Any, from_logits: bool | None = None) -> np.ndarray:
    """Return model outputs as probabilities (softmax of logits when needed).

    Args:
        outputs: ``(N, classes)`` model outputs.
        from_logits: ``True`` to apply a softmax, ``False`` to keep the outputs, ``None`` to
            apply it unless every row is already non-negative and sums to 1.

    Example:
        >>> to_probabilities([[0.0, 0.0]]).tolist()
        [[0.5, 0.5]]

    """
    outputs = np.asarray(outputs, dtype="float64")
    if from_logits is None:
        from_logits = not (
            outputs.size == 0
            or (outputs.min() >= 0 and np.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3))
        )
    if not from_logits:
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def top_k_accuracy(labels: Any, probabilities: Any, k: int) -> float:
    """Fraction of samples whose true class is among the ``k`` most probable.

    A true class tied with the k-th most probable counts as found.

    Example:
        >>> top_k_accuracy([2, 0], [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]], k=2)
        0.0

    """
    labels = np.asarray(labels, dtype=int)
    probabilities = np.asarray(probabilities, dtype="float64")
    true_scores = probabilities[np.arange(len(labels)), labels]
    higher = (probabilities > true_scores[:, None]).sum(axis=1)
    return float(np.mean(higher < k)) if len(labels) else float("nan")


def cross_entropy(labels: Any, probabilities: Any) -> float:
    """Mean categorical cross-entropy, ``-mean(log p[true class])`` (clipped at 1e-7)."""
    labels = np.asarray(labels, dtype=int)
    probabilities = np.asarray(probabilities, dtype="float64")
    true = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(true, PROBABILITY_EPSILON, 1.0))))


@dataclass(frozen=True)
class ClassificationMetrics:
    """Scores of predictions against true labels.

    Attributes:
        accuracy: Fraction of correct top-1 predictions.
        loss: Mean categorical cross-entropy.
        top_k: The ``k`` of :attr:`top_k_accuracy` (at most the number of classes).
        top_k_accuracy: Fraction whose true class is among the ``top_k`` most probable.
        precision: ``(classes,)`` precision per class (0 for a class never predicted).
        recall: ``(classes,)`` recall per class (0 for a class without samples).
        f1: ``(classes,)`` F1 per class.
        support: ``(classes,)`` true samples per class.
        confusion_matrix: ``(classes, classes)`` counts, rows true, columns predicted.
        confusion_matrix_normalized: Rows divided by their sums (rows of 0 where a class
            has no samples).
        calibration: Reliability bins and expected calibration error.

    """

    accuracy: float
    loss: float
    top_k: int
    top_k_accuracy: float
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    confusion_matrix: np.ndarray
    confusion_matrix_normalized: np.ndarray
    calibration: Calibration


def classification_metrics(
    labels: Any,
    probabilities: Any,
    *,
    top_k: int = 5,
    n_bins: int = 15,
) -> ClassificationMetrics:
    """Compute accuracy, loss, top-k, per-class scores, confusion matrix and calibration.

    Args:
        labels: ``(N,)`` true class indices.
        probabilities: ``(N, classes)`` predicted probabilities.
        top_k: ``k`` of the top-k accuracy (clipped to the number of classes).
        n_bins: Bins of the reliability diagram.

    Example:
        >>> m = classification_metrics([0, 1, 1], [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
        >>> round(m.accuracy, 3), m.confusion_matrix.tolist()
        (0.667, [[1, 0], [1, 1]])

    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    labels = np.asarray(labels, dtype=int).reshape(-1)
    probabilities = np.asarray(probabilities, dtype="float64")
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"probabilities must be (N, classes) with N = {len(labels)} labels, got "
            f"{probabilities.shape}"
        )
    if len(labels) == 0:
        raise ValueError("no samples to evaluate")
    num_classes = probabilities.shape[1]
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"labels must be class indices in 0..{num_classes - 1}, found {labels.min()}.."
            f"{labels.max()}; check that the model and the dataset have the same classes"
        )
    classes = np.arange(num_classes)
    predicted = probabilities.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=classes, zero_division=0
    )
    matrix = confusion_matrix(labels, predicted, labels=classes)
    rows = matrix.sum(axis=1, keepdims=True)
    normalized = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
    k = int(min(max(top_k, 1), num_classes))
    confidence = probabilities.max(axis=1)
    return ClassificationMetrics(
        accuracy=float(accuracy_score(labels, predicted)),
        loss=cross_entropy(labels, probabilities),
        top_k=k,
        top_k_accuracy=top_k_accuracy(labels, probabilities, k),
        precision=np.asarray(precision, dtype="float64"),
        recall=np.asarray(recall, dtype="float64"),
        f1=np.asarray(f1, dtype="float64"),
        support=np.asarray(support, dtype=int),
        confusion_matrix=np.asarray(matrix, dtype=int),
        confusion_matrix_normalized=normalized,
        calibration=calibration_bins(confidence, predicted == labels, n_bins),
    )


def labels_to_indices(labels: Any, num_classes: int | None = None) -> np.ndarray:
    """Class indices from integer labels or one-hot (or probability) rows.

    Example:
        >>> labels_to_indices([[0, 1], [1, 0]]).tolist()
        [1, 0]

    """
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim == 2:
        if num_classes is not None and array.shape[1] != num_classes:
            raise ValueError(
                f"one-hot labels have {array.shape[1]} columns but there are {num_classes} classes"
            )
        return array.argmax(axis=1).astype(int)
    if array.ndim != 1:
        raise ValueError(
            f"labels must be (batch,) class indices or (batch, classes) one-hot, got shape "
            f"{array.shape}"
        )
    if array.size and not np.all(np.equal(np.mod(array, 1), 0)):
        raise ValueError("labels must be integer class indices (or one-hot rows)")
    return array.astype(int)


def macro_and_weighted(values: Sequence[float] | np.ndarray, support: np.ndarray) -> tuple:
    """Unweighted and support-weighted means of per-class values."""
    values = np.asarray(values, dtype="float64")
    total = support.sum()
    weighted = float((values * support).sum() / total) if total else 0.0
    return float(values.mean()) if len(values) else 0.0, weighted
