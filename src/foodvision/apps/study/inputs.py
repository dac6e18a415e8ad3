"""The study's data at each step's image size, loaded (or resized) once per size."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np
from PIL import Image

from foodvision.apps.study.plan import StudyProfile
from foodvision.base.tf_runtime import tensorflow
from foodvision.data import ImageData, load_data


def _resized_array(images: np.ndarray, size: int) -> np.ndarray:
    """Every image of an array resized with Pillow (bilinear, antialiased)."""
    from foodvision.data.array_store import resize_rgb

    out = np.empty((len(images), size, size, 3), np.uint8)
    for i, image in enumerate(images):
        rgb = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        out[i] = resize_rgb(Image.fromarray(rgb), (size, size))
    return out


def rebatched(data: ImageData, batch_size: int) -> ImageData:
    """``data`` in batches of ``batch_size`` (the same images, in the same order)."""
    if data.batch_size == batch_size:
        return data
    if hasattr(data.train, "replace"):  # array splits
        splits = {
            name: getattr(data, name).replace(batch_size=batch_size)
            if getattr(data, name) is not None
            else None
            for name in ("train", "val", "test")
        }
    else:
        tf = tensorflow()
        splits = {
            name: getattr(data, name).unbatch().batch(batch_size).prefetch(tf.data.AUTOTUNE)
            if getattr(data, name) is not None
            else None
            for name in ("train", "val", "test")
        }
    return dataclasses.replace(data, batch_size=batch_size, **splits)


def resized(data: ImageData, size: int) -> ImageData:
    """``data`` with every image resized to ``size`` x ``size`` (array splits: uint8)."""
    if tuple(data.image_size) == (size, size):
        return data
    if hasattr(data.train, "with_images"):  # array splits: resize each store once
        stores: dict[int, np.ndarray] = {}
        splits = {}
        for name in ("train", "val", "test"):
            split = getattr(data, name)
            if split is not None:
                key = id(split.images)
                if key not in stores:
                    stores[key] = _resized_array(split.images, size)
                split = split.with_images(stores[key])
            splits[name] = split
        return dataclasses.replace(data, image_size=(size, size), **splits)
    tf = tensorflow()

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
        loader: ``"tf"``, ``"arrays"`` or ``"auto"`` (see :func:`foodvision.load_data`).
        batch_size: Batch size of the data (default: the profile's for loaded data, an
            ``ImageData``'s own).

    Example:
        >>> at_size = DataAtSize("synthetic", PROFILES["quick"], 0, None)  # doctest: +SKIP
        >>> at_size(64).image_size  # doctest: +SKIP
        (64, 64)
    """

    def __init__(
        self,
        data: Any,
        profile: StudyProfile,
        seed: int,
        classes: Any,
        loader: str = "auto",
        *,
        batch_size: int | None = None,
    ) -> None:
        if not isinstance(data, (ImageData, str, os.PathLike)):
            raise ValueError(
                "data must be an ImageData, a folder, 'food101' or 'synthetic'; got "
                f"{type(data).__name__}"
            )
        self.data, self.profile, self.seed, self.classes = data, profile, seed, classes
        self.loader = loader
        self.batch_size = batch_size
        self.loaded: dict[int, ImageData] = {}

    def __call__(self, size: int) -> ImageData:
        """The data at ``size`` x ``size`` pixels."""
        if size not in self.loaded:
            if isinstance(self.data, ImageData):
                data = resized(self.data, size)
                self.loaded[size] = rebatched(data, self.batch_size or data.batch_size)
            else:
                self.loaded[size] = load_data(
                    self.data,
                    image_size=(size, size),
                    batch_size=self.batch_size or self.profile.batch_size,
                    classes=self.classes,
                    seed=self.seed,
                    loader=self.loader,
                )
        return self.loaded[size]
