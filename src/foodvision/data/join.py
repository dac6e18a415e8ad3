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

from foodvision.base.system import memory_budget
from foodvision.base.tf_runtime import tensorflow
from foodvision.data.image_data import ImageData

VAL_MEMORY_FRACTION = 0.25
"""The validation images of ``tf.data`` splits are shuffled in memory up to this share of
the machine's memory (array splits join without a copy)."""


def join_train_and_val(data: ImageData, seed: int = 0) -> ImageData:
    """``data`` whose training split also holds the validation images; no validation split.

    The joined split is reshuffled every epoch like a training split. A ``tf.data``
    training split keeps its own pipeline and shuffle, and the validation images are
    kept in memory after their first pass and drawn among them; array splits keep
    sharing their decoded store (no copy).

    Args:
        data: An :class:`~foodvision.ImageData` with a validation split.
        seed: Seed of the joined split's shuffle.

    Returns:
        The same data with ``val=None``; ``counts``, ``files`` and ``source`` say so.

    Raises:
        ValueError: ``data`` has no validation split, its splits are of two kinds, or
            ``tf.data`` validation images too many to keep in memory.

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
    if isinstance(data.train, ArraySplit):
        train = _joined_arrays(data.train, data.val, seed)
    else:
        train = _joined_tf_data(data, seed)
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


def _joined_tf_data(data: ImageData, seed: int) -> Any:
    """Both ``tf.data`` splits as one, reshuffled every epoch, in batches.

    The training split keeps its own shuffle; the validation images (a fixed order) are
    kept in memory, shuffled every epoch and drawn among the training images in
    proportion, so every image comes once per epoch.
    """
    tf = tensorflow()
    count = {split: data.num_images(split) for split in ("train", "val")}
    needed = count["val"] * data.image_size[0] * data.image_size[1] * 3
    if needed > memory_budget(VAL_MEMORY_FRACTION):
        raise ValueError(
            f"the {count['val']} validation images would take {needed / 2**30:.1f} GiB in "
            "memory to be shuffled into the training split; load the data with "
            "loader='arrays', whose splits join without a copy"
        )
    val = data.val.unbatch().cache()
    val = val.shuffle(count["val"], seed=seed, reshuffle_each_iteration=True)
    total = count["train"] + count["val"]
    joined = tf.data.Dataset.sample_from_datasets(
        [data.train.unbatch(), val],
        weights=[count["train"] / total, count["val"] / total],
        seed=seed,
        stop_on_empty_dataset=False,
    )
    return joined.batch(data.batch_size).prefetch(tf.data.AUTOTUNE)
