"""Helpers shared by the model tests: the smallest inputs each registered model accepts."""

from __future__ import annotations

import numpy as np

import foodvision as fv

NUM_CLASSES = 7


def tiny_shape(name: str) -> tuple[int, int, int]:
    """The smallest square input the model accepts (at least 16x16), to keep tests fast."""
    size = max(fv.get_model_spec(name).min_input_size, 16)
    return (size, size, 3)


def tiny_overrides(name: str) -> dict:
    """Options for an offline build from scratch.

    Transfer models get ``weights=None`` and batch-norm layers that train (batch
    statistics) in their trainable top block: a random backbone whose batch norms all
    keep their initial statistics can be degenerate (in MobileNetV3 the activations
    reaching the top block are ~1e-10 and some kernels get exactly zero gradients).
    The default frozen batch norms are tested in test_transfer.py.
    """
    if fv.get_model_spec(name).family != "transfer":
        return {}
    return {"weights": None, "train_batchnorm": True}


def raw_images(count: int, shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """``count`` uint8 RGB images in 0..255: a smooth gradient per image plus noise."""
    rng = np.random.default_rng(seed)
    height, width, _ = shape
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    images = np.empty((count, *shape), dtype=np.float64)
    for i in range(count):
        a, b, c = rng.uniform(-1, 1, 3)
        base = 128 + 100 * np.stack([a * xx, b * yy, c * (xx - yy)], axis=-1)
        images[i] = base + rng.normal(0, 20, shape)
    return np.clip(images, 0, 255).astype(np.uint8)
