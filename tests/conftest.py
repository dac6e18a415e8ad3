"""Shared fixtures: tiny generated images and the real food101-mini5 dataset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "food101-mini5"
DEFAULT_WEIGHTS = REPO.parent / "shared" / "weights"


def _required_dir(env_var: str, default: Path, what: str) -> Path:
    path = Path(os.environ.get(env_var, default))
    if path.is_dir():
        return path
    message = f"{what} not found at {path}; set {env_var} to its location"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def food101_root() -> Path:
    """The real food101-mini5 dataset (Food-101 layout). Fails in CI when missing."""
    return _required_dir("FOODVISION_TEST_DATA", DEFAULT_DATA, "food101-mini5 dataset")


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """Directory with ``vgg16_imagenet_notop.weights.h5``. Fails in CI when missing."""
    return _required_dir("FOODVISION_WEIGHTS_DIR", DEFAULT_WEIGHTS, "pretrained weights directory")


def write_image(path: Path, array: np.ndarray, mode: str | None = None, **save_kwargs) -> Path:
    """Write ``array`` (HxWx3 uint8) to ``path`` in the format given by its suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array)
    if mode is not None:
        image = image.convert(mode)
    image.save(path, **save_kwargs)
    return path


@pytest.fixture
def make_folder_dataset(tmp_path: Path):
    """Factory for a class-per-folder dataset of small random JPEGs.

    Each class gets a distinct mean colour so that tests can check labels.
    """

    def make(classes=("a", "b", "c"), per_class=10, size=(24, 32), root=None, ext=".jpg"):
        root = Path(root) if root else tmp_path / "folders"
        rng = np.random.default_rng(0)
        for index, name in enumerate(classes):
            for i in range(per_class):
                base = np.full((*size, 3), 40 + 60 * index, dtype=np.uint8)
                noise = rng.integers(0, 20, size=(*size, 3), dtype=np.uint8)
                write_image(root / name / f"img_{i:03d}{ext}", base + noise)
        return root

    return make


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
