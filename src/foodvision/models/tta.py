"""Test-time augmentation: the mean of a model's outputs over a few views of each image.

Views: ``"original"`` (always first), ``"flip"`` (mirrored left-right) and ``"zoom"``
(the central 87.5 % of the image, resized back to full size). Food photos keep their
meaning under both, so their mean output is usually a little better calibrated and more
accurate than the original's alone.

Example:
    >>> resolve_tta(True)
    ('original', 'flip')
    >>> resolve_tta("flip,zoom")
    ('original', 'flip', 'zoom')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

TTA_VIEWS = ("original", "flip", "zoom")
"""The views :func:`tta_views` can make."""

ZOOM_FRACTION = 0.875
"""Side of the central crop of the ``"zoom"`` view, as a fraction of the image's."""


def resolve_tta(tta: bool | str | Sequence[str] | None) -> tuple[str, ...]:
    """The views of a ``tta`` argument: ``False`` none, ``True`` a flip, or named views.

    Raises:
        ValueError: An unknown view name.
    """
    if tta is None or tta is False:
        return ("original",)
    if tta is True:
        return ("original", "flip")
    names = [n.strip() for n in tta.split(",")] if isinstance(tta, str) else list(tta)
    unknown = [n for n in names if n not in TTA_VIEWS]
    if unknown:
        raise ValueError(
            f"unknown test-time augmentation view(s) {', '.join(map(repr, unknown))}; choose "
            f"from {', '.join(TTA_VIEWS[1:])}"
        )
    return ("original", *[n for n in dict.fromkeys(names) if n != "original"])


def tta_views(images: np.ndarray, views: Sequence[str]) -> list[np.ndarray]:
    """``images`` (``(batch, height, width, channels)``) as each of ``views``."""
    result = []
    for view in views:
        if view == "original":
            result.append(images)
        elif view == "flip":
            result.append(np.ascontiguousarray(images[:, :, ::-1]))
        elif view == "zoom":
            result.append(_zoom(images))
        else:
            raise ValueError(f"unknown view {view!r}")
    return result


def _zoom(images: np.ndarray) -> np.ndarray:
    from keras import ops

    height, width = images.shape[1:3]
    crop_h = max(1, round(height * ZOOM_FRACTION))
    crop_w = max(1, round(width * ZOOM_FRACTION))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    crop = np.asarray(images[:, top : top + crop_h, left : left + crop_w], dtype=np.float32)
    resized = ops.image.resize(crop, (height, width), interpolation="bilinear")
    return np.asarray(ops.convert_to_numpy(resized), dtype=np.float32)


def predict_tta(
    model: Any, images: np.ndarray, views: Sequence[str], original: Any = None
) -> np.ndarray:
    """The mean of ``model.predict_on_batch`` over the views of one batch, as float32.

    ``original``: the model's outputs on ``images`` when the caller has them already
    (the ``"original"`` view is then not run again).

    Example:
        >>> class Mean:
        ...     def predict_on_batch(self, x):
        ...         return x.mean(axis=(1, 2))
        >>> batch = np.arange(8.0).reshape(1, 2, 2, 2)
        >>> predict_tta(Mean(), batch, ("original", "flip")).tolist()
        [[3.0, 4.0]]
    """
    outputs = [
        np.asarray(original, dtype=np.float32)
        if view == "original" and original is not None
        else np.asarray(model.predict_on_batch(batch), dtype=np.float32)
        for view, batch in zip(views, tta_views(images, views))
    ]
    return np.mean(outputs, axis=0)
