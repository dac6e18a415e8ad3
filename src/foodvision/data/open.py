"""Open a dataset by name: a folder, ``"food101"`` or ``"synthetic"``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from foodvision.base.checks import check_fraction, check_int
from foodvision.data.image_data import ImageData


def load_data(
    source: str | os.PathLike,
    *,
    image_size: Sequence[int] = (128, 128),
    batch_size: int = 32,
    classes: Sequence[str] | None = None,
    validation_split: float = 0.2,
    test_split: float = 0.2,
    download: bool = False,
    seed: int = 0,
    loader: str = "auto",
) -> ImageData:
    """Load the dataset named by ``source``, whatever its kind.

    ``"synthetic"`` is the built-in generated set (:func:`load_synthetic`), ``"food101"``
    the official Food-101 in the Keras cache (:func:`load_food101`, ``download=True``
    fetches it); a folder is read as Food-101 when it has the official layout
    (``meta/train.txt``...) and as one sub-folder per class otherwise.

    Args:
        source: ``"synthetic"``, ``"food101"`` or a folder.
        image_size: ``(height, width)`` of the output images.
        batch_size: Images per batch.
        classes: Subset of classes (not for ``"synthetic"``).
        validation_split: Fraction of the training images used for validation.
        test_split: Test fraction of a class-per-folder dataset (Food-101 has its own).
        download: Download Food-101 when it is not found.
        seed: Seed of the splits and of the training shuffle.
        loader: ``"tf"``, ``"arrays"`` (no TensorFlow) or ``"auto"`` (see
            :func:`load_image_folder`).

    Returns:
        An :class:`ImageData`.

    Raises:
        FileNotFoundError: ``source`` is neither a known name nor an existing folder.
        ValueError: ``classes`` given for ``"synthetic"``, a split fraction outside
            [0, 1), or a bad dataset layout.

    Example:
        >>> data = fv.load_data("synthetic", image_size=(64, 64))  # doctest: +SKIP
        >>> data = fv.load_data("path/to/food-101", classes=["pizza", "sushi"])  # doctest: +SKIP

    """
    from foodvision.data.folders import load_image_folder
    from foodvision.data.food101 import find_food101_root, load_food101
    from foodvision.data.synthetic import load_synthetic

    # Checked for every source, so a bad fraction never passes unnoticed (the built-in
    # dataset has fixed splits and would otherwise ignore it).
    check_fraction("validation_split", validation_split)
    check_fraction("test_split", test_split)
    check_int("batch_size", batch_size, 1)
    common: dict[str, Any] = dict(
        image_size=image_size, batch_size=batch_size, seed=seed, loader=loader
    )
    name = os.fspath(source)
    if name == "synthetic":
        if classes:
            raise ValueError("classes does not apply to the synthetic dataset")
        return load_synthetic(**common)
    if name == "food101":
        return load_food101(
            None, classes, download=download, validation_split=validation_split, **common
        )
    if not os.path.exists(name):
        raise FileNotFoundError(
            f"data {name!r} does not exist; give a class-per-folder or Food-101 folder, "
            "'food101' (download) or 'synthetic'"
        )
    try:
        root = find_food101_root(name)
    except FileNotFoundError:
        return load_image_folder(
            name,
            classes=classes,
            validation_split=validation_split,
            test_split=test_split,
            **common,
        )
    return load_food101(root, classes, validation_split=validation_split, **common)
