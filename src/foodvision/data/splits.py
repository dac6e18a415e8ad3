"""Seeded, stratified splitting of labelled file lists."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stratified_split(
    labels: Sequence[int], fractions: Sequence[float], seed: int
) -> list[np.ndarray]:
    """Split item indices class by class into parts of the given fractions.

    Within each class the items are shuffled with ``seed`` and the first
    ``round(n * fraction)`` go to each requested part; what is left forms the last part.
    The same labels and seed always give the same split, whatever order the classes
    come in.

    Args:
        labels: Class index of every item.
        fractions: Fractions for the leading parts (e.g. ``[0.2]`` for a validation
            part); the remainder is returned as the last part.
        seed: Seed of the shuffle.

    Returns:
        ``len(fractions) + 1`` sorted index arrays: the requested parts, then the rest.

    Raises:
        ValueError: If the fractions are negative or add up to 1 or more.

    Example:
        >>> val, train = stratified_split([0, 0, 0, 0, 1, 1, 1, 1], [0.25], seed=0)
        >>> len(val), len(train)
        (2, 6)

    """
    if any(f < 0 for f in fractions) or sum(fractions) >= 1:
        raise ValueError(
            f"split fractions must be >= 0 and add up to less than 1, got {list(fractions)}"
        )
    labels = np.asarray(labels)
    parts: list[list[int]] = [[] for _ in range(len(fractions) + 1)]
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rng = np.random.default_rng([seed, int(label)])
        members = members[rng.permutation(len(members))]
        start = 0
        for part, fraction in zip(parts, fractions):
            size = int(round(len(members) * fraction))
            part.extend(members[start : start + size])
            start += size
        parts[-1].extend(members[start:])
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
