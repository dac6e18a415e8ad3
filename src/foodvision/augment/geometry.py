"""Affine warps of image batches: one bilinear resampling for flip, rotation, zoom, shift, shear.

Every geometric augmentation is a per-image 3x3 matrix mapping an *output* pixel
``(x, y, 1)`` to the *source* position it is read from; matrices compose by
multiplication, so rotation, zoom, translation, shear, flips and crops cost one warp.
Pixels are read with bilinear interpolation; positions outside the image are reflected
back into it (Keras's ``fill_mode="reflect"``: ``d c b a | a b c d | d c b a``) once, and
positions more than an image size away take the nearest edge pixel.

All functions take ``ops``, a ``keras.ops``-like namespace (see
:mod:`foodvision.augment.backend_ops`), so the same code runs on the device and in tf.data.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def matrices(ops: Any, a: Any, b: Any, c: Any, d: Any, e: Any, f: Any) -> Any:
    """Stack per-image coefficients ``(B,)`` into matrices ``[[a, b, c], [d, e, f], [0, 0, 1]]``.

    Example:
        >>> from keras import ops
        >>> one, zero = ops.ones((1,)), ops.zeros((1,))
        >>> ops.convert_to_numpy(matrices(ops, one, zero, zero, zero, one, zero))[0].tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]

    """
    zero = ops.zeros_like(a)
    one = ops.ones_like(a)
    rows = [ops.stack([a, b, c], axis=-1), ops.stack([d, e, f], axis=-1)]
    rows.append(ops.stack([zero, zero, one], axis=-1))
    return ops.stack(rows, axis=1)


def centred_transform(
    ops: Any,
    height: int,
    width: int,
    *,
    angle: Any,
    scale: Any,
    shear: Any,
    shear_y: Any = 0.0,
    shift_x: Any,
    shift_y: Any,
    flip: Any,
) -> Any:
    """Matrices that rotate, scale, shear and flip about the image centre, then shift.

    The source position of output pixel ``p`` is ``centre + L (p - centre) + shift`` with
    ``L = R(angle) @ [[1, shear], [shear_y, 1]] @ diag(flip * scale, scale)``.

    Args:
        ops: Tensor functions.
        height: Image height in pixels.
        width: Image width in pixels.
        angle: Rotation per image, radians, ``(B,)``.
        scale: Source scale per image (``> 1`` shows more of the image: zoom out).
        shear: Horizontal shear per image.
        shear_y: Vertical shear per image.
        shift_x: Shift of the source window, pixels.
        shift_y: Shift of the source window, pixels.
        flip: ``-1`` to mirror left-right, ``1`` to keep, per image.

    Returns:
        ``(B, 3, 3)`` float32 matrices.

    """
    cos, sin = ops.cos(angle), ops.sin(angle)
    sx = flip * scale
    # R @ Shear @ diag(sx, scale)
    a = (cos - sin * shear_y) * sx
    b = (cos * shear - sin) * scale
    d = (sin + cos * shear_y) * sx
    e = (sin * shear + cos) * scale
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    c = cx - a * cx - b * cy + shift_x
    f = cy - d * cx - e * cy + shift_y
    return matrices(ops, a, b, c, d, e, f)


def crop_transform(
    ops: Any, top: Any, left: Any, crop_height: Any, crop_width: Any, size: tuple[int, int]
) -> Any:
    """Matrices that resample the box ``(top, left, crop_height, crop_width)`` to ``size``.

    Pixel centres map to pixel centres: output pixel ``x`` reads source position
    ``left + (x + 0.5) * crop_width / out_width - 0.5``.
    """
    out_height, out_width = size
    sx = crop_width / out_width
    sy = crop_height / out_height
    zero = ops.zeros_like(sx)
    return matrices(ops, sx, zero, left + 0.5 * sx - 0.5, zero, sy, top + 0.5 * sy - 0.5)


def _reflect(ops: Any, index: Any, size: int) -> Any:
    """Mirror an index back into ``0..size-1`` once, then clamp.

    One reflection covers every position less than an image size outside it (all that
    the layers' ranges reach); an integer ``mod`` would cover more but costs twice the
    whole warp on CPUs.
    """
    index = ops.where(index < 0, -1 - index, index)
    index = ops.where(index >= size, 2 * size - 1 - index, index)
    return ops.clip(index, 0, size - 1)


def warp(images: Any, transforms: Any, ops: Any, size: tuple[int, int] | None = None) -> Any:
    """Resample a batch of images through per-image affine matrices (bilinear, reflect).

    Args:
        images: ``(B, H, W, C)`` batch, any numeric dtype (read as it is, so ``uint8``
            batches move a quarter of the bytes).
        transforms: ``(B, 3, 3)`` (or ``(B, 2, 3)``) matrices from output ``(x, y, 1)`` to
            source ``(x, y)``.
        ops: Tensor functions.
        size: Output ``(height, width)``; default the input's.

    Returns:
        ``(B, out_height, out_width, C)`` float32.

    Example:
        >>> from keras import ops
        >>> images = ops.reshape(ops.arange(16.0), (1, 4, 4, 1))
        >>> one, zero = ops.ones((1,)), ops.zeros((1,))
        >>> shift = matrices(ops, one, zero, one, zero, one, zero)  # read one pixel right
        >>> ops.convert_to_numpy(warp(images, shift, ops))[0, 0, :, 0].tolist()
        [1.0, 2.0, 3.0, 3.0]

    """
    height, width, channels = (int(v) for v in images.shape[1:])
    out_height, out_width = size or (height, width)
    ys, xs = np.meshgrid(
        np.arange(out_height, dtype="float32"), np.arange(out_width, dtype="float32"), indexing="ij"
    )
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size, "float32")])
    source = ops.einsum("bij,jp->bip", transforms[:, :2, :], ops.convert_to_tensor(grid))
    x, y = source[:, 0], source[:, 1]
    x0, y0 = ops.floor(x), ops.floor(y)
    wx = ops.reshape(x - x0, (-1, 1))
    wy = ops.reshape(y - y0, (-1, 1))
    x0, y0 = ops.cast(x0, "int32"), ops.cast(y0, "int32")
    left, right = _reflect(ops, x0, width), _reflect(ops, x0 + 1, width)
    top, bottom = _reflect(ops, y0, height), _reflect(ops, y0 + 1, height)
    pixels = ops.reshape(images, (-1, channels))
    batch = ops.shape(images)[0]
    offset = ops.reshape(ops.arange(batch, dtype="int32") * (height * width), (-1, 1))

    def read(rows: Any, cols: Any) -> Any:
        index = ops.reshape(offset + rows * width + cols, (-1,))
        return ops.cast(ops.take(pixels, index, axis=0), "float32")

    upper = read(top, left) * (1.0 - wx) + read(top, right) * wx
    lower = read(bottom, left) * (1.0 - wx) + read(bottom, right) * wx
    out = upper * (1.0 - wy) + lower * wy
    return ops.reshape(out, (-1, out_height, out_width, channels))
