"""Is a difference in accuracy real? Bootstrap intervals, McNemar's test, paired seeds.

All work on per-image correctness (``predicted == label``) on one test set, so two
models can be compared on the same images. :func:`mcnemar_test` compares two trained
models; :func:`paired_difference` compares two *methods*, each trained once per seed
(seed ``k`` of both paired), counting both the seed-to-seed spread and the sampling of
the test images; :func:`holm` corrects several comparisons at once.

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

    With one run (a 1-D array) the test images are drawn with replacement. With several
    runs of one method on the same test images (a ``(seeds, images)`` array) it is the
    interval of their mean accuracy by the two-way bootstrap of :func:`paired_difference`:
    seeds and images drawn independently.

    Args:
        correct: Per-image correctness (booleans or 0/1), one entry per test image; or
            one row per seed.
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
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if np.asarray(correct).ndim == 2:
        draws = _two_way_draws(_correct_grid(correct, "correct"), resamples, seed)
    else:
        hits = _correct(correct, "correct")
        rng = np.random.default_rng(seed)
        draws = hits[rng.integers(0, len(hits), size=(resamples, len(hits)))].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
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


@dataclasses.dataclass(frozen=True)
class PairedDifference:
    """Outcome of :func:`paired_difference`: accuracy of B minus accuracy of A.

    Attributes:
        mean: Mean over seeds of the paired accuracy differences.
        ci: ``(low, high)``: the two-way bootstrap interval at ``confidence``.
        p_value: Two-sided bootstrap p-value of "no difference".
        equivalence_ci: The ``2 * confidence - 1`` interval (90 % for a 95 %
            ``confidence``) that the equivalence test (TOST) checks against a margin.
        seed_differences: Each seed's difference.
        confidence: Coverage of :attr:`ci`.

    Example:
        >>> result = paired_difference([[1, 0, 1, 1]] * 3, [[1, 1, 1, 1]] * 3)
        >>> round(result.mean, 2), result.seed_differences
        (0.25, [0.25, 0.25, 0.25])
    """

    mean: float
    ci: tuple[float, float]
    p_value: float
    equivalence_ci: tuple[float, float]
    seed_differences: list[float]
    confidence: float = 0.95

    def equivalent(self, margin: float) -> bool:
        """Whether B and A are equivalent within ``margin`` (two one-sided tests).

        True when the whole :attr:`equivalence_ci` lies inside ``(-margin, margin)``:
        both one-sided tests then reject a difference of ``margin`` or more, each at
        level ``1 - confidence`` (5 % for a 95 % ``confidence``).

        Example:
            >>> same = paired_difference([[1, 0] * 500] * 3, [[1, 0] * 500] * 3)
            >>> same.equivalent(0.02), same.equivalent(0.0)
            (True, False)
        """
        low, high = self.equivalence_ci
        return -margin < low and high < margin


def _correct_grid(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.size == 0:
        raise ValueError(
            f"{name} must be per-image correctness of each seed: a (seeds, images) array"
        )
    return array.astype(bool)


def _two_way_draws(grid: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Bootstrap means of a ``(seeds, images)`` grid, seeds and images drawn independently."""
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 100:
        raise ValueError(f"resamples must be an integer of at least 100, got {resamples!r}")
    seeds, images = grid.shape
    rng = np.random.default_rng(seed)
    seed_counts = rng.multinomial(seeds, np.full(seeds, 1 / seeds), size=resamples)
    image_counts = rng.multinomial(images, np.full(images, 1 / images), size=resamples)
    # the mean over the drawn grid: (seed counts) . grid . (image counts) / (seeds * images)
    values = grid.astype(np.float64)
    return np.einsum("rs,si,ri->r", seed_counts, values, image_counts) / (seeds * images)


def paired_difference(
    correct_a: Any,
    correct_b: Any,
    *,
    confidence: float = 0.95,
    resamples: int = 4000,
    seed: int = 0,
) -> PairedDifference:
    """Accuracy difference B - A of two methods trained once per seed, on one test set.

    Row ``k`` of both arrays is seed ``k`` (same data split and seed for A and B);
    column ``i`` is test image ``i``. The interval is a two-way bootstrap of this crossed
    design: each resample draws the seeds and, independently, the test images with
    replacement, and averages the paired differences over the drawn grid. It so counts
    both how much a method's result moves from seed to seed and how much it depends on
    which test images were drawn (every seed shares them, so more seeds do not shrink
    that part). With one seed it is the plain paired bootstrap over test images.

    Args:
        correct_a: ``(seeds, images)`` per-image correctness of method A (a 1-D array:
            one seed).
        correct_b: The same for method B, the seeds in the same order.
        confidence: Coverage of the interval (the p-value's test has level
            ``1 - confidence``).
        resamples: Bootstrap resamples.
        seed: Seed of the resampling.

    Returns:
        A :class:`PairedDifference`.

    Raises:
        ValueError: Shapes differ, or an array is empty.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> a = rng.random((5, 600)) < 0.70            # 5 seeds of a 70 % method
        >>> b = rng.random((5, 600)) < 0.80            # and of an 80 % one
        >>> result = paired_difference(a, b)
        >>> bool(result.ci[0] > 0 and result.p_value < 0.05)
        True

    """
    a, b = _correct_grid(correct_a, "correct_a"), _correct_grid(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(
            f"paired seeds need the same seeds and test images for both methods; got "
            f"{a.shape} and {b.shape} (seeds, images)"
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    differences = b.astype(np.float64) - a.astype(np.float64)
    draws = _two_way_draws(differences, resamples, seed)
    tail = (1 - confidence) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    equivalence = np.quantile(draws, [2 * tail, 1 - 2 * tail])
    below, above = int(np.sum(draws <= 0)), int(np.sum(draws >= 0))
    p_value = min(1.0, 2 * (min(below, above) + 1) / (resamples + 1))
    per_seed = differences.mean(axis=1)
    return PairedDifference(
        mean=float(per_seed.mean()),
        ci=(float(low), float(high)),
        p_value=p_value,
        equivalence_ci=(float(equivalence[0]), float(equivalence[1])),
        seed_differences=[float(v) for v in per_seed],
        confidence=confidence,
    )


def holm(p_values: Any) -> list[float]:
    """Holm-adjusted p-values of several comparisons (family-wise error control).

    Sorted from the smallest, the ``k``-th p-value (of ``m``) is multiplied by
    ``m - k + 1``, kept non-decreasing and capped at 1 (Holm 1979). Compare each adjusted
    value with the level (say 0.05): the family of comparisons then makes a false claim
    of a difference with probability at most that level, whatever their dependence.

    Example:
        >>> [round(p, 6) for p in holm([0.01, 0.04, 0.03, 0.2])]
        [0.04, 0.09, 0.09, 0.2]

    """
    values = np.asarray(p_values, dtype=np.float64).ravel()
    if np.any(~np.isfinite(values)) or np.any((values < 0) | (values > 1)):
        raise ValueError(f"p-values must be numbers in [0, 1], got {list(values)}")
    order = np.argsort(values, kind="stable")
    scaled = values[order] * (len(values) - np.arange(len(values)))
    adjusted = np.empty_like(values)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return [float(v) for v in adjusted]
