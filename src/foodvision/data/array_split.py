"""A split of images held in an array (in memory or memory-mapped), batched without TensorFlow.

:class:`ArraySplit` is a ``keras.utils.PyDataset``: ``model.fit`` takes it on every backend,
and iterating it gives ``(images, labels)`` NumPy batches. A training split reshuffles every
epoch from ``(seed, epoch)``, so the same seed gives the same batches in any process.

Example:
    >>> import numpy as np
    >>> split = ArraySplit(np.zeros((5, 8, 8, 3), np.uint8), np.arange(5) % 2, batch_size=2)
    >>> [tuple(x.shape) for x, _ in split]
    [(2, 8, 8, 3), (2, 8, 8, 3), (1, 8, 8, 3)]

"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from foodvision.base.checks import check_int


class ArraySplit(keras.utils.PyDataset):
    """Batches of ``(images[rows], labels)`` in order, or reshuffled every epoch.

    Args:
        images: ``(N, H, W, 3)`` array (``np.memmap`` works: only the batch is read).
        labels: Class index of each item, ``(n,)``.
        batch_size: Items per batch (the last batch may be smaller).
        shuffle: Reshuffle every epoch (a training split).
        seed: Seed of the shuffle.
        rows: Row of ``images`` for each label (default ``0..n-1``): several splits can
            share one decoded store.
        multiple_of: Trim every batch to a multiple of this (devices of a data-parallel
            run); at most ``multiple_of - 1`` items of the last batch are left out of an
            epoch.

    """

    def __init__(
        self,
        images: np.ndarray,
        labels: Any,
        *,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int = 0,
        rows: Any = None,
        multiple_of: int = 1,
    ) -> None:
        super().__init__()
        self.images = images
        self.labels = np.asarray(labels)
        self.rows = np.arange(len(self.labels)) if rows is None else np.asarray(rows, np.int64)
        if len(self.rows) != len(self.labels):
            raise ValueError(f"{len(self.rows)} rows for {len(self.labels)} labels")
        if len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= len(images)):
            raise ValueError(f"rows must index the {len(images)} images")
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.multiple_of = check_int("multiple_of", multiple_of, 1)
        self.epoch = 0
        self._order = self._epoch_order()

    def _epoch_order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.labels))
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.labels))

    def __len__(self) -> int:
        """Batches per epoch."""
        batches = math.ceil(len(self.labels) / self.batch_size)
        if self.multiple_of > 1 and len(self.labels) % self.batch_size < self.multiple_of:
            batches -= int(len(self.labels) % self.batch_size != 0)  # a tail that trims to 0
        return batches

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index`` of the current epoch."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.multiple_of > 1:
            chosen = chosen[: len(chosen) - len(chosen) % self.multiple_of]
        rows = self.rows[chosen]
        if self.shuffle:  # read a memory-mapped store in file order; any order trains alike
            order = np.argsort(rows, kind="stable")
            chosen, rows = chosen[order], rows[order]
        return np.asarray(self.images[rows]), self.labels[chosen]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The batches of the current epoch, in order."""
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self) -> None:
        """Draw the next epoch's order (training splits)."""
        self.epoch += 1
        if self.shuffle:
            self._order = self._epoch_order()

    @property
    def num_items(self) -> int:
        """Items in the split."""
        return len(self.labels)

    def with_images(self, images: np.ndarray) -> ArraySplit:
        """The same split over other images of the same rows (e.g. resized)."""
        return ArraySplit(
            images,
            self.labels,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            seed=self.seed,
            rows=self.rows,
            multiple_of=self.multiple_of,
        )

    def divisible(self, multiple_of: int) -> ArraySplit:
        """The same split with every batch trimmed to a multiple of ``multiple_of``."""
        split = self.with_images(self.images)
        split.multiple_of = check_int("multiple_of", multiple_of, 1)
        return split


def numpy_batches(dataset: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(images, labels)`` NumPy batches of a ``tf.data`` dataset or an :class:`ArraySplit`."""
    if hasattr(dataset, "as_numpy_iterator"):
        yield from dataset.as_numpy_iterator()
        return
    for images, labels in dataset:
        yield np.asarray(images), np.asarray(labels)


def is_tf_dataset(dataset: Any) -> bool:
    """Whether ``dataset`` is a ``tf.data.Dataset`` (without importing TensorFlow)."""
    return any(
        cls.__module__.startswith("tensorflow") and cls.__name__.endswith("DatasetV2")
        for cls in type(dataset).__mro__
    )
