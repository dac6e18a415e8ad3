"""Compute a frozen prefix's output once and train only the suffix on it.

When every layer below a block boundary is frozen and the images are not augmented,
the prefix gives the same output for an image in every epoch. :func:`split_features`
runs the prefix once per split; :func:`features_to_data` wraps those outputs as an
:class:`~foodvision.ImageData` that :func:`foodvision.train` reads in place of the images,
so an epoch only runs the suffix.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from typing import Any

import numpy as np

from foodvision.base.log import FoodvisionWarning, Progress
from foodvision.base.system import memory_budget
from foodvision.data.array_split import ArraySplit, numpy_batches
from foodvision.data.image_data import ImageData
from foodvision.models.inference import predict_arrays

MEMORY_FRACTION = 0.25
"""Cached features stay in memory when they fit in this share of the machine's memory."""


def prefix_batch_size(data_batch_size: int) -> int:
    """Images per call in the one-off pass through a frozen prefix.

    XLA's CPU convolutions run fastest on one image at a time: the VGG16 base up to
    ``block4_pool`` at 224 px on the JAX backend (2-core x86 CPU) infers 13.6 images/s at
    batch 1 and 8.8 at batch 32, while TensorFlow is fastest at 32 (18.3 against 15.7 at
    batch 1; ``benchmarks/prefix_batch.py``). So on JAX with only CPU devices the pass goes
    image by image; elsewhere it keeps the data's batches.
    """
    import keras

    if keras.backend.backend() == "jax":
        import jax

        if all(device.platform == "cpu" for device in jax.devices()):
            return 1
    return data_batch_size


def _remove_when_unused(path: str, folder: str) -> None:
    """Delete a temporary memory map's file and folder right away.

    On POSIX systems the open map keeps the data alive after the file is unlinked, so the
    disk space comes back with the array. Systems that cannot delete an open file
    (Windows) keep it; a warning names the folder to delete after the run.
    """
    try:
        os.remove(path)
        os.rmdir(folder)
    except OSError:
        warnings.warn(
            f"cached features stay in {folder} until you delete it (this system cannot "
            "remove a file that is still open)",
            category=FoodvisionWarning,
            stacklevel=3,
        )


def split_features(
    prefix: Any,
    dataset: Any,
    count: int,
    *,
    directory: str | None = None,
    name: str = "split",
    batch_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``prefix`` over a dataset once: ``(features, labels)`` in dataset order.

    Features go to memory when they fit in a quarter of the machine's memory, else to
    an ``.npy`` memory map in ``directory`` (a temporary folder by default).
    ``batch_size`` images go through the prefix per call (default: the dataset's
    batches).

    Example:
        >>> features, labels = split_features(prefix, data.val, 375)  # doctest: +SKIP
    """
    shape = tuple(int(d) for d in prefix.output_shape[1:])
    needed = count * int(np.prod(shape)) * 4
    if needed <= memory_budget(MEMORY_FRACTION):
        features = np.empty((count, *shape), np.float32)
    else:
        folder = directory or tempfile.mkdtemp(prefix="foodvision-features-")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{name}.npy")
        features = np.lib.format.open_memmap(
            path, mode="w+", dtype=np.float32, shape=(count, *shape)
        )
        if directory is None:  # nothing else needs the file: free the disk with the array
            _remove_when_unused(path, folder)
    labels = np.empty(count, np.int32)
    start = 0
    progress = Progress(f"frozen features of the {name} split", total=count)
    for images, batch_labels in numpy_batches(dataset):
        if start + len(batch_labels) > count:
            raise ValueError(f"the {name} split holds more than the {count} images counted")
        output = predict_arrays(prefix, images, batch_size or len(images))
        features[start : start + len(output)] = output
        labels[start : start + len(output)] = np.asarray(batch_labels)
        start += len(output)
        progress.add(len(output))
    progress.close()
    if start != count:
        raise ValueError(f"the {name} split held {start} images, {count} were counted")
    return features, labels


def feature_dataset(
    features: np.ndarray, labels: np.ndarray, *, batch_size: int, shuffle: bool, seed: int
) -> ArraySplit:
    """Batches of ``(features, labels)`` gathered by index (no copy of the arrays)."""
    return ArraySplit(features, labels, batch_size=batch_size, shuffle=shuffle, seed=seed)


def features_to_data(
    splits: dict[str, tuple[np.ndarray, np.ndarray] | None], data: Any, seed: int
) -> ImageData:
    """Wrap per-split ``(features, labels)`` as an ``ImageData`` with ``data``'s classes."""
    datasets = {
        name: (
            feature_dataset(*arrays, batch_size=data.batch_size, shuffle=name == "train", seed=seed)
            if arrays is not None
            else None
        )
        for name, arrays in splits.items()
    }
    return ImageData(
        train=datasets["train"],
        val=datasets.get("val"),
        test=datasets.get("test"),
        class_names=tuple(data.class_names),
        counts=data.counts,
        batch_size=data.batch_size,
        source=f"cached features of {data.source}",
        labels_checked=data.labels_checked,  # the same labels, in another order
    )
