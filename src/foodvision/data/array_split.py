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
        stream: Cut every epoch's ``ceil(n / batch_size)`` batches from an endless
            sequence of passes over the split (each reshuffled when ``shuffle``), so that
            every batch holds ``batch_size`` items: the last batch of an epoch goes on
            into the next pass, and the next epoch starts where it stopped. A compiled
            train step then sees one batch shape.
        pad_to: Pad the last batch with zero-weight copies of its first item up to a
            multiple of this (the devices of a data-parallel run); batches are then
            ``(images, labels, weights)``, and a weighted metric counts every item once.
        share: ``(index, count)``: give only the ``index``-th of ``count`` equal slices
            of every batch (this process's share of a multi-process run's global batch;
            the batch, padded, must divide into ``count`` slices).

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
        stream: bool = False,
        pad_to: int = 1,
        share: tuple[int, int] = (0, 1),
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
        self.stream = bool(stream)
        self.pad_to = check_int("pad_to", pad_to, 1)
        index, count = (int(v) for v in share)
        if not 0 <= index < count:
            raise ValueError(f"share must be (index, count) with 0 <= index < count, got {share}")
        self.share = (index, count)
        self.epoch = 0
        self._orders: dict[int, np.ndarray] = {}

    def _pass_order(self, number: int) -> np.ndarray:
        """The order of the items in pass ``number`` (an epoch, unless streaming)."""
        if not self.shuffle:
            return np.arange(len(self.labels))
        if number not in self._orders:
            self._orders = {  # keep the pass before: a streamed batch can straddle two
                k: v for k, v in self._orders.items() if k >= number - 1
            }
            rng = np.random.default_rng([self.seed, number])
            self._orders[number] = rng.permutation(len(self.labels))
        return self._orders[number]

    def __len__(self) -> int:
        """Batches per epoch."""
        return math.ceil(len(self.labels) / self.batch_size)

    def _chosen(self, index: int) -> np.ndarray:
        """Positions in ``labels`` of batch ``index`` of the current epoch."""
        count = len(self.labels)
        if self.stream and count >= self.batch_size:
            start = (self.epoch * len(self) + index) * self.batch_size
            positions = np.arange(start, start + self.batch_size)
            passes = positions // count
            chosen = np.empty(self.batch_size, np.int64)
            for number in np.unique(passes):
                here = passes == number
                chosen[here] = self._pass_order(int(number))[positions[here] % count]
            return chosen
        order = self._pass_order(self.epoch)
        return order[index * self.batch_size : (index + 1) * self.batch_size]

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        """Batch ``index`` of the current epoch."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        chosen = self._chosen(index)
        rows = self.rows[chosen]
        if self.shuffle:  # read a memory-mapped store in file order; any order trains alike
            order = np.argsort(rows, kind="stable")
            chosen, rows = chosen[order], rows[order]
        batch: tuple[np.ndarray, ...] = (np.asarray(self.images[rows]), self.labels[chosen])
        if self.pad_to > 1:
            images, labels = batch
            missing = -len(labels) % self.pad_to
            weights = np.concatenate([np.ones(len(labels)), np.zeros(missing)]).astype(np.float32)
            first = np.zeros(missing, np.int64)
            batch = (
                np.concatenate([images, images[first]]),
                labels[np.r_[np.arange(len(labels)), first]],
                weights,
            )
        share, shares = self.share
        if shares > 1:
            size = len(batch[0]) // shares
            batch = tuple(part[share * size : (share + 1) * size] for part in batch)
        return batch

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        """The batches of the current epoch, in order."""
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self) -> None:
        """Go on to the next epoch's order (training splits)."""
        self.epoch += 1

    @property
    def num_items(self) -> int:
        """Items in the split."""
        return len(self.labels)

    def with_images(self, images: np.ndarray) -> ArraySplit:
        """The same split over other images of the same rows (e.g. resized)."""
        return self.replace(images=images)

    def replace(self, **changes: Any) -> ArraySplit:
        """A copy with other arguments, e.g. ``split.replace(stream=True)``."""
        arguments = {
            "images": self.images,
            "labels": self.labels,
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "seed": self.seed,
            "rows": self.rows,
            "stream": self.stream,
            "pad_to": self.pad_to,
            "share": self.share,
        }
        arguments.update(changes)
        images = arguments.pop("images")
        labels = arguments.pop("labels")
        return ArraySplit(images, labels, **arguments)


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
