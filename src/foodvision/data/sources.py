"""Shared steps of the file-based sources: check files, split, build the datasets."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from foodvision.data.checks import CheckedImage, check_images, warn_skipped
from foodvision.data.image_data import ImageData
from foodvision.data.pipeline import make_file_dataset, validate_image_size
from foodvision.data.splits import stratified_split


def check_labelled_files(
    paths: Sequence[str], labels: Sequence[int]
) -> tuple[list[CheckedImage], list[int], list[tuple[str, str]]]:
    """Check files and drop the ones that cannot be decoded.

    Returns:
        ``(images, labels, skipped)`` for the files that decode, and ``(path, reason)``
        for the others.

    """
    checked, skipped = check_images(list(paths))
    keep = [i for i, c in enumerate(checked) if c is not None]
    return [checked[i] for i in keep], [int(labels[i]) for i in keep], skipped


def carve_split(
    images: list[CheckedImage], labels: list[int], fraction: float, seed: int
) -> tuple[tuple[list[CheckedImage], list[int]], tuple[list[CheckedImage], list[int]]]:
    """Split off a stratified, seeded ``fraction`` of the items: ``(part, rest)``."""
    part, rest = stratified_split(labels, [fraction], seed)
    return (
        ([images[i] for i in part], [labels[i] for i in part]),
        ([images[i] for i in rest], [labels[i] for i in rest]),
    )


def build_image_data(
    splits: dict[str, tuple[list[CheckedImage], list[int]]],
    class_names: Sequence[str],
    *,
    skipped: list[tuple[str, str]],
    total_files: int,
    source: str,
    image_size: Sequence[int],
    batch_size: int,
    seed: int,
    **pipeline_options: Any,
) -> ImageData:
    """Turn checked, split file lists into an :class:`ImageData`.

    Args:
        splits: ``{"train": (images, labels), "val": ..., "test": ...}``; a missing or
            empty split becomes ``None``.
        class_names: Class names, index = label.
        skipped: Files left out, with reasons (summarised in one warning).
        total_files: Number of image files found, for the warning.
        source: Description of the origin, for reports.
        image_size: ``(height, width)``.
        batch_size: Images per batch.
        seed: Shuffle seed of the training split.
        **pipeline_options: Passed to :func:`make_file_dataset` (cache, resize, ...).

    Raises:
        ValueError: If the training split is empty or a class has no training image.

    """
    image_size = validate_image_size(image_size)
    warn_skipped(skipped, total_files)
    train_labels = splits.get("train", ([], []))[1]
    missing = [name for i, name in enumerate(class_names) if i not in set(train_labels)]
    if missing:
        raise ValueError(
            f"no decodable training images for class(es) {', '.join(missing)} in {source}; "
            "add images or leave these classes out"
        )
    datasets: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    files: dict[str, list[str]] = {}
    for name in ("train", "val", "test"):
        images, labels = splits.get(name, ([], []))
        check_class_indices(labels, len(class_names), name)
        per_class = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names))
        counts[name] = {c: int(n) for c, n in zip(class_names, per_class)} if images else {}
        files[name] = [i.path for i in images]
        datasets[name] = (
            make_file_dataset(
                images,
                labels,
                image_size=image_size,
                batch_size=batch_size,
                shuffle=name == "train",
                seed=seed,
                name=name,
                **pipeline_options,
            )
            if images
            else None
        )
    return ImageData(
        train=datasets["train"],
        val=datasets["val"],
        test=datasets["test"],
        class_names=tuple(class_names),
        counts=counts,
        skipped=skipped,
        image_size=image_size,
        batch_size=batch_size,
        files=files,
        source=source,
        labels_checked=True,
    )


def check_class_indices(labels: Any, num_classes: int, split: str = "data") -> None:
    """Raise a clear ``ValueError`` unless every label is an integer in ``range(num_classes)``.

    Example:
        >>> check_class_indices([0, 2, 1], 3)
        >>> check_class_indices([0, 3], 3, "train")
        Traceback (most recent call last):
        ...
        ValueError: train: label 3 is not a class index in 0..2

    """
    array = np.asarray(labels)
    if array.size == 0:
        return
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{split}: labels must be integer class indices, got {array.dtype}")
    bad = array[(array < 0) | (array >= num_classes)]
    if bad.size:
        raise ValueError(
            f"{split}: label {int(bad[0])} is not a class index in 0..{num_classes - 1}"
        )


def require_directory(path: str | os.PathLike, what: str) -> str:
    """Return ``path`` as a string or raise ``FileNotFoundError`` naming ``what``."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        hint = "it is a file, not a folder" if os.path.exists(path) else "it does not exist"
        raise FileNotFoundError(f"{what} {path!r} not found: {hint}")
    return path
