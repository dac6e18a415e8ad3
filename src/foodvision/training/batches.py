"""Batches of one shape for compiled steps: streamed training batches, padded validation.

XLA compiles a step for every new batch shape. A split of ``n`` images in batches of
``b`` ends with a smaller batch when ``b`` does not divide ``n``, so every ``fit`` would
compile its train step twice (and every trial of a search, and every resumed run).
:func:`uniform_train_batches` cuts each epoch's ``ceil(n / b)`` batches from an endless
stream of reshuffled passes instead: every batch holds ``b`` images, every image is seen
once per pass, and an epoch keeps its number of steps (so schedules do not change).

Data parallelism splits each batch over the devices, so a batch must divide evenly:
:func:`padded_batches` pads the last validation batch with zero-weight copies, so every
validation image is counted once (a weighted metric ignores the copies) instead of
being dropped. In a multi-process run each process feeds its share of every global
batch (:func:`process_share`).

Example:
    >>> import numpy as np
    >>> from foodvision.data.array_split import ArraySplit
    >>> split = ArraySplit(np.zeros((5, 2, 2, 3), np.uint8), np.arange(5), batch_size=2)
    >>> stream, steps = uniform_train_batches(split, 2, 5)
    >>> [len(y) for _, y in stream], steps
    ([2, 2, 2], None)
"""

from __future__ import annotations

import math
from typing import Any

from foodvision.base.tf_runtime import tensorflow


def uniform_train_batches(dataset: Any, batch_size: int, count: int) -> tuple[Any, int | None]:
    """Training batches that all hold ``batch_size`` items, and the steps of an epoch.

    Args:
        dataset: The batched training split: an :class:`~foodvision.data.array_split.ArraySplit`
            or a ``tf.data.Dataset`` of ``(images, labels)``.
        batch_size: Its batch size.
        count: Items in the split.

    Returns:
        ``(dataset, steps_per_epoch)``: ``dataset`` itself when ``batch_size`` divides
        ``count`` or the whole split fits in one batch. ``steps_per_epoch`` is ``None``
        unless the result is an endless ``tf.data`` stream, which ``fit`` must be given
        it for.
    """
    if count % batch_size == 0 or count < batch_size:
        return dataset, None
    if hasattr(dataset, "replace"):  # an ArraySplit
        return dataset.replace(stream=True), None
    steps = math.ceil(count / batch_size)
    # No prefetch after the repeat: a prefetching iterator that is dropped (Keras peeks
    # at the first batch) could have opened the next pass and drawn its shuffle already,
    # making the order depend on thread timing. The split's own prefetch still works.
    return dataset.unbatch().repeat().batch(batch_size, drop_remainder=True), steps


def padded_batches(dataset: Any, multiple: int) -> Any:
    """``(images, labels, weights)`` batches padded to a multiple of ``multiple`` items.

    The padding repeats a batch's first item with weight 0; real items weigh 1.
    ``dataset`` itself when ``multiple`` is 1 or ``dataset`` is ``None``.
    """
    if dataset is None or multiple == 1:
        return dataset
    if hasattr(dataset, "replace"):  # an ArraySplit
        return dataset.replace(pad_to=multiple)
    tf = tensorflow()

    def pad(images: Any, labels: Any) -> tuple[Any, Any, Any]:
        count = tf.shape(images)[0]
        missing = tf.math.floormod(-count, multiple)
        index = tf.concat([tf.range(count), tf.zeros([missing], tf.int32)], 0)
        weights = tf.concat([tf.ones([count]), tf.zeros([missing])], 0)
        return tf.gather(images, index), tf.gather(labels, index), weights

    return dataset.map(pad, num_parallel_calls=tf.data.AUTOTUNE)


def process_share(dataset: Any, index: int, count: int) -> Any:
    """This process's slice of every batch of a multi-process run.

    Every process reads the same global batches (the same shuffle, from the same seed)
    and keeps the ``index``-th of ``count`` equal slices; the runtime puts the slices
    together into the global batch, so the run trains on what one process would.
    ``dataset`` itself for one process or ``None``.
    """
    if dataset is None or count == 1:
        return dataset
    if hasattr(dataset, "replace"):  # an ArraySplit
        return dataset.replace(share=(index, count))
    tf = tensorflow()

    def take(*batch: Any) -> tuple[Any, ...]:
        size = tf.shape(batch[0])[0] // count
        return tuple(part[index * size : (index + 1) * size] for part in batch)

    return dataset.map(take)
