"""MixUp and CutMix of a batch, with the label weights that go with each image.

A mix pairs image ``i`` with image ``partner[i]`` of the same batch and keeps a share
``keep[i]`` of image ``i``. :func:`mix_labels` applies the same pairs and shares to one-hot
labels, so the labels always describe the mixed images, however many mixes are chained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from foodvision.augment.color import per_image
from foodvision.augment.draws import Draws

Mix = tuple[Any, Any]
"""``(keep, partner)``: share of the image kept ``(B,)`` float32, partner index ``(B,)`` int32."""


def partners(ops: Any, draws: Draws, batch: Any) -> Any:
    """A random permutation of ``range(batch)``: each image's partner."""
    return ops.cast(ops.argsort(draws.uniform((batch,))), "int32")


def mixup(ops: Any, images: Any, draws: Draws, alpha: float) -> tuple[Any, Mix]:
    """Blend each image with a partner by a weight drawn from ``Beta(alpha, alpha)``.

    Returns:
        ``(mixed images, (keep, partner))``.

    """
    batch = ops.shape(images)[0]
    partner = partners(ops, draws, batch)
    keep = draws.beta((batch,), alpha)
    mixed = per_image(ops, keep) * images + per_image(ops, 1.0 - keep) * ops.take(
        images, partner, axis=0
    )
    return mixed, (keep, partner)


def cutmix(ops: Any, images: Any, draws: Draws, alpha: float) -> tuple[Any, Mix]:
    """Paste a box of a partner image into each image (box area from ``Beta(alpha, alpha)``).

    The box has the image's aspect ratio, side ``sqrt(1 - lambda)`` of the image's, a
    uniformly drawn centre, and is clipped at the borders; ``keep`` is the share of
    pixels left outside the box, counted exactly.

    Returns:
        ``(mixed images, (keep, partner))``.

    """
    batch = ops.shape(images)[0]
    height, width = int(images.shape[1]), int(images.shape[2])
    partner = partners(ops, draws, batch)
    side = ops.sqrt(1.0 - draws.beta((batch,), alpha))
    centre_y = draws.uniform((batch,), 0.0, float(height))
    centre_x = draws.uniform((batch,), 0.0, float(width))
    half_h, half_w = side * height / 2.0, side * width / 2.0
    rows = ops.reshape(ops.arange(height, dtype="float32") + 0.5, (1, height, 1))
    cols = ops.reshape(ops.arange(width, dtype="float32") + 0.5, (1, 1, width))

    def inside(coords: Any, centre: Any, half: Any) -> Any:
        centre = ops.reshape(centre, (-1, 1, 1))
        half = ops.reshape(half, (-1, 1, 1))
        return ops.logical_and(coords >= centre - half, coords < centre + half)

    box = ops.logical_and(inside(rows, centre_y, half_h), inside(cols, centre_x, half_w))
    keep = 1.0 - ops.mean(ops.cast(box, "float32"), axis=(1, 2))
    mixed = ops.where(ops.expand_dims(box, -1), ops.take(images, partner, axis=0), images)
    return mixed, (keep, partner)


def mix_labels(ops: Any, labels: Any, mixes: Sequence[Mix]) -> Any:
    """Apply the mixes, in order, to one-hot (or already soft) labels ``(B, classes)``.

    Example:
        >>> from keras import ops
        >>> labels = ops.convert_to_tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> mix = (ops.convert_to_tensor([0.75, 0.5]), ops.convert_to_tensor([1, 0]))
        >>> ops.convert_to_numpy(mix_labels(ops, labels, [mix])).tolist()
        [[0.75, 0.25], [0.5, 0.5]]

    """
    for keep, partner in mixes:
        keep = ops.reshape(keep, (-1, 1))
        labels = keep * labels + (1.0 - keep) * ops.take(labels, partner, axis=0)
    return labels
