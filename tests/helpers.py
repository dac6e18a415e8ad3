"""Small data and model builders shared by the tests (importable as ``helpers``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, array: np.ndarray, mode: str | None = None, **save_kwargs) -> Path:
    """Write ``array`` (HxWx3 uint8) to ``path`` in the format given by its suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array)
    if mode is not None:
        image = image.convert(mode)
    image.save(path, **save_kwargs)
    return path


def tiny_image_data(num_classes=3, per_class=16, size=8, batch_size=8, seed=0):
    """An ImageData of small arrays whose class is visible in the brightness."""
    from foodvision.data.image_data import ImageData
    from foodvision.data.pipeline import make_array_dataset

    rng = np.random.default_rng(seed)
    names = tuple(f"class_{i}" for i in range(num_classes))

    def split(n):
        labels = np.repeat(np.arange(num_classes), n).astype(np.int32)
        base = (labels * (200 // max(num_classes - 1, 1)))[:, None, None, None]
        images = np.clip(base + rng.normal(0, 20, (len(labels), size, size, 3)), 0, 255)
        return images.astype(np.uint8), labels

    (xt, yt), (xv, yv) = split(per_class), split(max(per_class // 4, 1))
    counts = {
        "train": dict.fromkeys(names, per_class),
        "val": dict.fromkeys(names, max(per_class // 4, 1)),
        "test": {},
    }
    return ImageData(
        train=make_array_dataset(xt, yt, batch_size=batch_size, shuffle=True, seed=seed),
        val=make_array_dataset(xv, yv, batch_size=batch_size),
        test=None,
        class_names=names,
        counts=counts,
        image_size=(size, size),
        batch_size=batch_size,
        source="tiny test arrays",
    )


def tiny_model(num_classes=3, size=8, dropout=0.0, seed=0):
    """A very small CNN taking raw 0..255 images."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="tiny_cnn")
