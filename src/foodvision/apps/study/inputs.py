"""The study's data at each step's image size, loaded (or resized) once per size."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from foodvision.apps.study.plan import StudyProfile
from foodvision.data import ImageData, load_data


def resized(data: ImageData, size: int) -> ImageData:
    """``data`` with every image resized to ``size`` x ``size`` (same dtype)."""
    import tensorflow as tf

    if tuple(data.image_size) == (size, size):
        return data

    def resize(images: Any, labels: Any) -> tuple[Any, Any]:
        out = tf.image.resize(tf.cast(images, tf.float32), (size, size), antialias=True)
        if images.dtype == tf.uint8:
            out = tf.cast(tf.clip_by_value(tf.round(out), 0, 255), tf.uint8)
        return out, labels

    splits = {
        name: getattr(data, name).map(resize) if getattr(data, name) is not None else None
        for name in ("train", "val", "test")
    }
    return dataclasses.replace(data, image_size=(size, size), **splits)


class DataAtSize:
    """Loads (or resizes) the study's data once per image size.

    Args:
        data: An :class:`~foodvision.ImageData` (resized per size) or what
            :func:`foodvision.load_data` takes (a folder, ``"food101"``, ``"synthetic"``).
        profile: Gives the batch size of loaded data.
        seed: Seed of the splits.
        classes: Class subset of a folder or Food-101.

    Example:
        >>> at_size = DataAtSize("synthetic", PROFILES["quick"], 0, None)  # doctest: +SKIP
        >>> at_size(64).image_size  # doctest: +SKIP
        (64, 64)
    """

    def __init__(self, data: Any, profile: StudyProfile, seed: int, classes: Any) -> None:
        if not isinstance(data, (ImageData, str, os.PathLike)):
            raise ValueError(
                "data must be an ImageData, a folder, 'food101' or 'synthetic'; got "
                f"{type(data).__name__}"
            )
        self.data, self.profile, self.seed, self.classes = data, profile, seed, classes
        self.loaded: dict[int, ImageData] = {}

    def __call__(self, size: int) -> ImageData:
        """The data at ``size`` x ``size`` pixels."""
        if size not in self.loaded:
            if isinstance(self.data, ImageData):
                self.loaded[size] = resized(self.data, size)
            else:
                self.loaded[size] = load_data(
                    self.data,
                    image_size=(size, size),
                    batch_size=self.profile.batch_size,
                    classes=self.classes,
                    seed=self.seed,
                )
        return self.loaded[size]
