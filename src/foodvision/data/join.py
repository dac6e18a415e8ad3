"""Move the validation images into the training split, for a final fit on both.

Once a validated run has fixed every setting (the epochs included), training again on
the training and validation images together uses all the labelled data; the test split
stays as it was.

Example:
    >>> data = fv.load_synthetic(train_per_class=8, val_per_class=2)  # doctest: +SKIP
    >>> both = join_train_and_val(data)  # doctest: +SKIP
    >>> both.num_images("train"), both.val  # doctest: +SKIP
    (50, None)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from foodvision.base.tf_runtime import tensorflow
from foodvision.data.image_data import ImageData


def join_train_and_val(data: ImageData, seed: int = 0) -> ImageData:
    """``data`` whose training split also holds the validation images; no validation split.

    The joined split is reshuffled every epoch like a training split. A ``tf.data``
    training split keeps its own pipeline and the validation images are cached after
    their first pass; array splits keep sharing their decoded store.

    Args:
        data: An :class:`~foodvision.ImageData` with a validation split.
        seed: Seed of the joined split's shuffle.

    Returns:
        The same data with ``val=None``; ``counts``, ``files`` and ``source`` say so.

    Raises:
        ValueError: ``data`` has no validation split, or its splits are of two kinds.

    Example:
        >>> final = join_train_and_val(data)  # doctest: +SKIP
        >>> fv.train(model, final, epochs=validated_epochs)  # doctest: +SKIP
    """
    from foodvision.data.array_split import ArraySplit, is_tf_dataset  # imports Keras

    if data.val is None:
        raise ValueError("the data has no validation split to join with the training split")
    kinds = {
        "tf.data" if is_tf_dataset(split) else "arrays" if isinstance(split, ArraySplit) else None
        for split in (data.train, data.val)
    }
    if len(kinds) != 1 or None in kinds:
        raise ValueError(
            "the training and validation splits must both be tf.data datasets or both "
            f"array splits, got {type(data.train).__name__} and {type(data.val).__name__}"
        )
    total = data.num_images("train") + data.num_images("val")
    if isinstance(data.train, ArraySplit):
        train = _joined_arrays(data.train, data.val, seed)
    else:
        train = _joined_tf_data(data.train, data.val, data.batch_size, total, seed)
    counts = {name: dict(split) for name, split in data.counts.items() if name != "val"}
    for name, count in data.counts.get("val", {}).items():
        counts.setdefault("train", {})[name] = counts.get("train", {}).get(name, 0) + count
    files = {name: list(paths) for name, paths in data.files.items() if name != "val"}
    if data.files.get("val"):
        files["train"] = [*data.files.get("train", []), *data.files["val"]]
    return dataclasses.replace(
        data,
        train=train,
        val=None,
        counts=counts,
        files=files,
        source=f"{data.source} (training and validation images joined)".strip(),
    )


def _joined_arrays(train: Any, val: Any, seed: int) -> Any:
    """One array split of both splits' items, over one store when they share it."""
    labels = np.concatenate([train.labels, val.labels])
    if val.images is train.images:
        return train.replace(labels=labels, rows=np.concatenate([train.rows, val.rows]), seed=seed)
    images = np.concatenate([train.images[train.rows], val.images[val.rows]])
    return train.replace(images=images, labels=labels, rows=None, seed=seed)


def _joined_tf_data(train: Any, val: Any, batch_size: int, total: int, seed: int) -> Any:
    """Both ``tf.data`` splits as one, reshuffled every epoch, in batches."""
    tf = tensorflow()
    joined = train.unbatch().concatenate(val.unbatch().cache())
    joined = joined.shuffle(total, seed=seed, reshuffle_each_iteration=True)
    return joined.batch(batch_size).prefetch(tf.data.AUTOTUNE)
