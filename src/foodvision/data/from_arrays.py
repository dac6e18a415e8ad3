"""Images already in memory as an :class:`ImageData` (no TensorFlow)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from foodvision.data.array_split import ArraySplit
from foodvision.data.image_data import ImageData


def _checked(images: Any, labels: Any, num_classes: int, split: str) -> tuple[np.ndarray, Any]:
    from foodvision.data.sources import check_class_indices

    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"{split} images must be (N, height, width, 3), got {images.shape}")
    if len(images) != len(labels) or labels.ndim != 1:
        raise ValueError(
            f"{split}: expected one integer label per image, got {labels.shape} labels for "
            f"{len(images)} images"
        )
    check_class_indices(labels, num_classes, split)
    return images, labels.astype(np.int32)


def image_data_from_arrays(
    images: Any,
    labels: Any,
    *,
    batch_size: int = 32,
    validation_data: tuple[Any, Any] | None = None,
    class_names: Sequence[str] | None = None,
    num_classes: int | None = None,
    seed: int = 0,
) -> ImageData:
    """Wrap in-memory images and integer labels as an :class:`ImageData`.

    Args:
        images: ``(N, H, W, 3)`` images in 0..255 (``uint8`` keeps them small).
        labels: ``(N,)`` class indices.
        batch_size: Images per batch.
        validation_data: Optional ``(images, labels)`` of a validation split.
        class_names: Names of the classes; default ``"0"``, ``"1"``...
        num_classes: Number of classes when ``class_names`` is not given; default one
            more than the largest label.
        seed: Seed of the training shuffle.

    Returns:
        An :class:`ImageData` of :class:`~foodvision.data.array_split.ArraySplit` splits.

    Raises:
        ValueError: Bad shapes, or labels that are not class indices.

    Example:
        >>> x = np.zeros((6, 8, 8, 3), np.uint8)
        >>> data = image_data_from_arrays(x, [0, 1, 2, 0, 1, 2], batch_size=4)
        >>> data.class_names, data.num_images("train")
        (('0', '1', '2'), 6)

    """
    if class_names is None:
        top = int(np.max(np.asarray(labels))) + 1 if len(labels) else 0
        num_classes = num_classes or top
        class_names = [str(i) for i in range(num_classes)]
    names = tuple(str(name) for name in class_names)
    splits = {"train": _checked(images, labels, len(names), "train")}
    if validation_data is not None:
        splits["val"] = _checked(*validation_data, len(names), "validation")
    datasets = {
        name: ArraySplit(x, y, batch_size=batch_size, shuffle=name == "train", seed=seed)
        for name, (x, y) in splits.items()
    }
    counts = {
        name: dict(zip(names, np.bincount(y, minlength=len(names)).tolist()))
        for name, (_, y) in splits.items()
    }
    return ImageData(
        train=datasets["train"],
        val=datasets.get("val"),
        test=None,
        class_names=names,
        counts=counts,
        image_size=tuple(int(v) for v in splits["train"][0].shape[1:3]),
        batch_size=batch_size,
        source="arrays in memory",
        labels_checked=True,
    )
