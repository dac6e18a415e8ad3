"""Is a difference in accuracy real? Bootstrap intervals and McNemar's test.

Both work on per-image correctness (``predicted == label``) on one test set, so two
models can be compared on the same images.

Example:
    >>> import numpy as np
    >>> a = np.array([1, 1, 0, 1, 0, 1, 1, 1], bool)
    >>> b = np.array([1, 0, 0, 1, 0, 0, 1, 0], bool)
    >>> mcnemar_test(a, b).discordant
    (3, 0)

"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np


def _correct(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of per-image correctness")
    return array.astype(bool)


def bootstrap_accuracy_ci(
    correct: Any, *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of an accuracy.

    Args:
        correct: Per-image correctness (booleans or 0/1), one entry per test image.
        confidence: Coverage of the interval.
        resamples: Bootstrap resamples (test sets drawn with replacement).
        seed: Seed of the resampling.

    Returns:
        ``(low, high)``.

    Example:
        >>> low, high = bootstrap_accuracy_ci([1] * 90 + [0] * 10)
        >>> bool(low < 0.9 < high)
        True

    """
    hits = _correct(correct, "correct")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(hits), size=(resamples, len(hits)))
    accuracies = hits[draws].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(accuracies, [tail, 1 - tail])
    return float(low), float(high)


@dataclasses.dataclass(frozen=True)
class McNemarResult:
    """Outcome of :func:`mcnemar_test`.

    Attributes:
        discordant: ``(only_a_right, only_b_right)``: images exactly one model got right.
        p_value: Two-sided exact p-value (binomial test on the discordant images).

    Example:
        >>> result = mcnemar_test([1, 1, 0, 1], [1, 0, 0, 1])
        >>> result.discordant, result.significant()
        ((1, 0), False)
    """

    discordant: tuple[int, int]
    p_value: float

    def significant(self, alpha: float = 0.05) -> bool:
        """Whether the two models differ at level ``alpha``."""
        return self.p_value < alpha


def mcnemar_test(correct_a: Any, correct_b: Any) -> McNemarResult:
    """Exact McNemar test: do two models have different accuracy on the same images?

    Only images where exactly one model is right count; under "no difference" each of
    them is equally likely to favour either model.

    Args:
        correct_a: Per-image correctness of model A.
        correct_b: Per-image correctness of model B, on the same images in the same order.

    Returns:
        A :class:`McNemarResult`.

    Raises:
        ValueError: If the arrays are empty or of different lengths.

    Example:
        >>> a = [1] * 60 + [0] * 40          # model A right on 60 of 100 images
        >>> b = [1] * 80 + [0] * 20          # model B right on those 60 and 20 more
        >>> round(mcnemar_test(a, b).p_value, 6)
        2e-06

    """
    from scipy.stats import binomtest

    a, b = _correct(correct_a, "correct_a"), _correct(correct_b, "correct_b")
    if len(a) != len(b):
        raise ValueError(
            f"McNemar's test needs the same test images for both models; got {len(a)} "
            f"and {len(b)} results"
        )
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    total = only_a + only_b
    p_value = 1.0 if total == 0 else float(binomtest(only_a, total, 0.5).pvalue)
    return McNemarResult((only_a, only_b), min(1.0, p_value))
