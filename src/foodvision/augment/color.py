"""Per-image colour transforms of float32 batches in 0..255 (pointwise, cheap on any device).

Each function takes per-image factors of shape ``(B,)`` and ``ops``, a ``keras.ops``-like
namespace (see :mod:`foodvision.augment.backend_ops`). Results are clipped to 0..255.
"""

from __future__ import annotations

from typing import Any

_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as PIL's "L" mode


def per_image(ops: Any, values: Any) -> Any:
    """Reshape ``(B,)`` values to ``(B, 1, 1, 1)`` to scale whole images."""
    return ops.reshape(values, (-1, 1, 1, 1))


def clip(ops: Any, images: Any) -> Any:
    """Clip to 0..255."""
    return ops.clip(images, 0.0, 255.0)


def grayscale(ops: Any, images: Any) -> Any:
    """Luma of RGB images, kept as 3 equal channels ``(B, H, W, 3)``.

    Example:
        >>> from keras import ops
        >>> [round(float(v), 3) for v in grayscale(ops, ops.ones((1, 1, 1, 3)) * 100)[0, 0, 0]]
        [100.0, 100.0, 100.0]

    """
    luma = ops.sum(images * ops.convert_to_tensor(_LUMA, dtype="float32"), axis=-1, keepdims=True)
    return ops.repeat(luma, 3, axis=-1)


def blend(ops: Any, images: Any, other: Any, factor: Any) -> Any:
    """``other + factor * (images - other)``, clipped: factor 0 gives ``other``, 1 the image."""
    return clip(ops, other + per_image(ops, factor) * (images - other))


def adjust_brightness(ops: Any, images: Any, delta: Any) -> Any:
    """Add ``delta`` (in 0..255 units) to every pixel of each image."""
    return clip(ops, images + per_image(ops, delta))


def adjust_contrast(ops: Any, images: Any, factor: Any) -> Any:
    """Scale each channel's distance to its image mean by ``factor`` (as Keras's RandomContrast)."""
    mean = ops.mean(images, axis=(1, 2), keepdims=True)
    return blend(ops, images, mean, factor)


def adjust_saturation(ops: Any, images: Any, factor: Any) -> Any:
    """Blend with the grey image: 0 gives grey, 1 the image, above 1 more colourful."""
    return blend(ops, images, grayscale(ops, images), factor)


def smooth(ops: Any, images: Any) -> Any:
    """PIL's SMOOTH kernel (centre 5, neighbours 1, sum 13); the border rows keep their values."""
    centre = images[:, 1:-1, 1:-1, :]
    total = 5.0 * centre
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if (dy, dx) != (1, 1):
                total = total + images[:, dy : dy + centre.shape[1], dx : dx + centre.shape[2], :]
    inner = total / 13.0
    rows = ops.concatenate([images[:, 1:-1, :1, :], inner, images[:, 1:-1, -1:, :]], axis=2)
    return ops.concatenate([images[:, :1], rows, images[:, -1:]], axis=1)


def adjust_sharpness(ops: Any, images: Any, factor: Any) -> Any:
    """Blend with the smoothed image (PIL's ``ImageEnhance.Sharpness``)."""
    return blend(ops, images, smooth(ops, images), factor)


def posterize(ops: Any, images: Any, bits: Any) -> Any:
    """Keep the top ``bits`` bits of each channel (``bits`` per image, 1..8)."""
    step = per_image(ops, ops.power(2.0, 8.0 - bits))
    return ops.floor(images / step) * step


def solarize(ops: Any, images: Any, threshold: Any) -> Any:
    """Invert the pixels at or above ``threshold`` (per image)."""
    return ops.where(images >= per_image(ops, threshold), 255.0 - images, images)


def autocontrast(ops: Any, images: Any) -> Any:
    """Stretch each channel of each image to the full 0..255 range (flat channels stay)."""
    low = ops.min(images, axis=(1, 2), keepdims=True)
    high = ops.max(images, axis=(1, 2), keepdims=True)
    spread = high - low
    stretched = (images - low) * 255.0 / ops.maximum(spread, 1e-6)
    return ops.where(spread > 0, stretched, images)
