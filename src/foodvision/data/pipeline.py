"""The tf.data input pipeline: decode, turn upright, resize, cache, shuffle, batch, augment.

The pipeline runs in TensorFlow's tf.data runtime whatever the Keras backend is; its
batches feed ``model.fit`` on JAX, TensorFlow and PyTorch alike.

Order of the stages for a training split::

    files -> [shuffle files if not cached] -> decode + EXIF turn + resize (parallel)
          -> cache -> [shuffle images if cached] -> batch -> augment (optional) -> prefetch

With a cache, the second and later epochs never decode again. When the cache is in
memory, the loaders go one step further: :func:`decode_files_to_tensor` decodes every
file once while loading (that decode is the file check), and the splits are
:func:`make_array_dataset` pipelines over the decoded images.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.base.checks import check_int
from foodvision.base.system import memory_budget
from foodvision.base.tf_runtime import tensorflow
from foodvision.data.checks import CheckedImage

RESIZE_MODES = ("stretch", "crop", "pad")
"""How an image is brought to the target size: ``stretch`` ignores the aspect ratio,
``crop`` cuts the largest centred region of the target's aspect ratio, ``pad`` keeps
the whole image and fills the borders with black."""

_JPEG_RATIOS = (1, 2, 4, 8)
_CONVEX_INTERPOLATIONS = ("bilinear", "area", "nearest", "gaussian")
"""Resize methods whose outputs are weighted means of input pixels (no overshoot)."""
AUTO_CACHE_FRACTION = 0.25
"""``cache="auto"`` caches in memory what fits in this share of the machine's memory."""

Augment = Callable[[Any, Any], tuple[Any, Any]]


def validate_image_size(image_size: Sequence[int]) -> tuple[int, int]:
    """Return ``image_size`` as ``(height, width)`` or raise a clear ``ValueError``.

    Example:
        >>> validate_image_size([96, 128])
        (96, 128)

    """
    try:
        height, width = (int(v) for v in image_size)
    except (TypeError, ValueError) as err:
        raise ValueError(f"image_size must be (height, width), got {image_size!r}") from err
    if height < 8 or width < 8:
        raise ValueError(f"image_size must be at least 8x8 pixels, got {height}x{width}")
    return height, width


def resolve_cache(
    cache: bool | str | os.PathLike | None, num_images: int, image_size: tuple[int, int]
) -> str | None:
    """Decide where decoded images are cached.

    Args:
        cache: ``"auto"`` caches in memory when the decoded split takes at most a quarter
            of the machine's memory, else streams from disk; ``True``/``"memory"``
            always caches in memory; ``False``/``None`` never caches; any other string or
            path is a directory for an on-disk cache.
        num_images: Images in the split.
        image_size: ``(height, width)`` after resizing.

    Returns:
        ``None`` (no cache), ``""`` (memory) or a directory path.

    Example:
        >>> resolve_cache("auto", 1000, (128, 128))
        ''

    """
    if cache is None or cache is False:
        return None
    if cache is True or cache == "memory":
        return ""
    if cache == "auto":
        needed = num_images * image_size[0] * image_size[1] * 3
        return "" if needed <= memory_budget(AUTO_CACHE_FRACTION) else None
    return os.fspath(cache)


def jpeg_ratio(image: CheckedImage, image_size: tuple[int, int]) -> int:
    """Largest JPEG DCT downscale (1, 2, 4 or 8) that still covers ``image_size``.

    Decoding a JPEG at 1/2, 1/4 or 1/8 scale is much cheaper than decoding it whole and
    then shrinking it; it is used only when the scaled image is still at least as large
    as the target in both dimensions.

    Example:
        >>> jpeg_ratio(CheckedImage("a.jpg", 512, 384, "JPEG"), (96, 96))
        4

    """
    if image.format != "JPEG" or image.inline_png:
        return 1
    ratio = 1
    for candidate in _JPEG_RATIOS:
        if image.height // candidate >= image_size[0] and image.width // candidate >= image_size[1]:
            ratio = candidate
    return ratio


def resize_image(
    image: Any,
    image_size: tuple[int, int],
    resize: str = "stretch",
    interpolation: str = "bilinear",
    antialias: bool = False,
) -> Any:
    """Resize one ``HxWx3`` image tensor to ``image_size`` and return it as ``uint8``.

    Args:
        image: ``tf.Tensor`` of shape ``(H, W, 3)``, any numeric dtype in 0..255.
        image_size: Target ``(height, width)``.
        resize: One of :data:`RESIZE_MODES`.
        interpolation: A ``tf.image.ResizeMethod`` name such as ``"bilinear"``,
            ``"bicubic"``, ``"area"`` or ``"nearest"``.
        antialias: Low-pass filter when shrinking (slower, smoother).

    Returns:
        ``tf.Tensor`` of shape ``image_size + (3,)``, ``uint8``.

    Example:
        >>> resize_image(tf.zeros((10, 20, 3)), (8, 8), "pad").shape  # doctest: +SKIP
        TensorShape([8, 8, 3])

    """
    tf = tensorflow()

    height, width = image_size
    if resize == "crop":
        shape = tf.shape(image)
        h = tf.cast(shape[0], tf.float32)
        w = tf.cast(shape[1], tf.float32)
        aspect = width / height
        crop_h = tf.cast(tf.round(tf.minimum(h, w / aspect)), tf.int32)
        crop_w = tf.cast(tf.round(tf.minimum(w, h * aspect)), tf.int32)
        top = (shape[0] - crop_h) // 2
        left = (shape[1] - crop_w) // 2
        image = image[top : top + crop_h, left : left + crop_w]
        resized = tf.image.resize(image, image_size, method=interpolation, antialias=antialias)
    elif resize == "pad":
        resized = tf.image.resize_with_pad(
            tf.cast(image, tf.float32), height, width, method=interpolation, antialias=antialias
        )
    else:
        resized = tf.image.resize(image, image_size, method=interpolation, antialias=antialias)
    if resized.dtype != tf.uint8:
        if image.dtype == tf.uint8 and interpolation in _CONVEX_INTERPOLATIONS:
            resized = tf.cast(resized + 0.5, tf.uint8)  # already in 0..255: round half up
        else:
            resized = tf.saturate_cast(resized + 0.5, tf.uint8)  # round half up, clip
    resized.set_shape((height, width, 3))
    return resized


def decode_file(
    path: Any,
    inline_png: Any,
    ratio_index: Any,
    *,
    any_inline: bool = True,
    ratio_indices: frozenset[int] | None = None,
) -> Any:
    """Decode one file (or its inline PNG) to uint8 RGB, at a JPEG DCT scale.

    ``any_inline=False`` and a single entry in ``ratio_indices`` (the ``_JPEG_RATIOS``
    indices the dataset uses) leave out the branches that the dataset never takes.
    """
    tf = tensorflow()

    if any_inline:
        data = tf.cond(
            tf.strings.length(inline_png) > 0, lambda: inline_png, lambda: tf.io.read_file(path)
        )
    else:
        data = tf.io.read_file(path)

    def full() -> Any:
        return tf.io.decode_image(data, channels=3, expand_animations=False, dtype=tf.uint8)

    def scaled(ratio: int) -> Callable[[], Any]:
        return lambda: tf.io.decode_jpeg(data, channels=3, ratio=ratio)

    branches = [full] + [scaled(r) for r in _JPEG_RATIOS[1:]]
    if ratio_indices is not None and len(ratio_indices) == 1:
        image = branches[next(iter(ratio_indices))]()
    else:
        image = tf.switch_case(ratio_index, branches)
    image.set_shape((None, None, 3))
    return image


def _orientation_op(orientation: int) -> Callable[[Any], Any]:
    """The tensor op that turns a stored picture upright for one EXIF orientation tag."""
    tf = tensorflow()

    ops: dict[int, Callable[[Any], Any]] = {
        2: lambda x: tf.reverse(x, [1]),
        3: lambda x: tf.reverse(x, [0, 1]),
        4: lambda x: tf.reverse(x, [0]),
        5: lambda x: tf.transpose(x, [1, 0, 2]),
        6: lambda x: tf.reverse(tf.transpose(x, [1, 0, 2]), [1]),
        7: lambda x: tf.reverse(tf.transpose(x, [1, 0, 2]), [0, 1]),
        8: lambda x: tf.reverse(tf.transpose(x, [1, 0, 2]), [0]),
    }
    return ops.get(orientation, lambda x: x)


def orient_image(image: Any, orientation: Any, present: frozenset[int] | None = None) -> Any:
    """Turn a decoded ``(H, W, 3)`` tensor upright for its EXIF orientation tag (1-8).

    The same turns as Pillow's ``ImageOps.exif_transpose`` (which
    :func:`foodvision.data.image_formats.open_upright` applies), as tensor ops.

    Args:
        image: The picture as stored in the file.
        orientation: Its tag, a scalar ``int32`` tensor.
        present: The tags the dataset holds: only their branches are built (``{1}``
            builds none). ``None`` builds all eight.

    Example:
        >>> orient_image(tf.zeros((2, 3, 3)), tf.constant(6)).shape  # doctest: +SKIP
        TensorShape([3, 2, 3])

    """
    tf = tensorflow()

    tags = sorted(present) if present is not None else list(range(1, 9))
    if tags == [1]:
        return image
    if len(tags) == 1:
        return _orientation_op(tags[0])(image)
    ops = {tag: _orientation_op(tag) for tag in tags}

    def branch(tag: int) -> Callable[[], Any]:
        op = ops.get(tag, ops[tags[0]])  # tags not in the dataset never run
        return lambda: op(image)

    return tf.switch_case(tf.cast(orientation, tf.int32) - 1, [branch(t) for t in range(1, 9)])


def _cache_key(images: Sequence[CheckedImage], settings: tuple) -> str:
    digest = hashlib.sha256(repr(settings).encode())
    for image in images:
        digest.update(f"{image.path}\0{image.orientation}\0".encode())
        if image.inline_png:
            digest.update(hashlib.sha256(image.inline_png).digest())
    return digest.hexdigest()[:16]


def _finish(
    dataset: Any,
    *,
    cache: str | None,
    cache_name: str,
    shuffle: bool,
    seed: int,
    size: int,
    batch_size: int,
    augment: Augment | None,
) -> Any:
    tf = tensorflow()

    if cache is not None:
        if cache:
            Path(cache).mkdir(parents=True, exist_ok=True)
            dataset = dataset.cache(os.path.join(cache, cache_name))
        else:
            dataset = dataset.cache()
        if shuffle:
            dataset = dataset.shuffle(size, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if augment is not None:
        dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_file_dataset(
    images: Sequence[CheckedImage],
    labels: Sequence[int],
    *,
    image_size: tuple[int, int],
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    cache: bool | str | os.PathLike | None = "auto",
    resize: str = "stretch",
    interpolation: str = "bilinear",
    antialias: bool = False,
    jpeg_downscale: bool = True,
    augment: Augment | None = None,
    name: str = "split",
) -> Any:
    """Build the batched ``tf.data.Dataset`` of ``(uint8 images, int32 labels)`` for files.

    Args:
        images: Files that passed :func:`foodvision.data.checks.check_images`.
        labels: Class index per file.
        image_size: ``(height, width)`` of the output images.
        batch_size: Images per batch (the last batch may be smaller).
        shuffle: Reshuffle every epoch (training split), seeded by ``seed``.
        seed: Shuffle seed.
        cache: See :func:`resolve_cache`.
        resize: One of :data:`RESIZE_MODES`.
        interpolation: Resize method name (see :func:`resize_image`).
        antialias: Low-pass filter when shrinking.
        jpeg_downscale: Decode large JPEGs at 1/2, 1/4 or 1/8 scale when that still
            covers ``image_size`` (much faster; see :func:`jpeg_ratio`).
        augment: Optional function mapped on every batch, ``(images, labels) ->
            (images, labels)``.
        name: Split name, used in the on-disk cache file name.

    Returns:
        A ``tf.data.Dataset``.

    Example:
        >>> ds = make_file_dataset(checked, labels, image_size=(128, 128))  # doctest: +SKIP

    """
    tf = tensorflow()

    check_int("batch_size", batch_size, 1)
    image_size = validate_image_size(image_size)
    slices, load = _file_decoder(
        images, image_size, resize, interpolation, antialias, jpeg_downscale
    )
    dataset = tf.data.Dataset.from_tensor_slices((*slices, np.asarray(labels, dtype=np.int32)))
    resolved_cache = resolve_cache(cache, len(images), image_size)
    if shuffle and resolved_cache is None:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(
        lambda *row: (load(*row[:-1]), row[-1]), num_parallel_calls=tf.data.AUTOTUNE
    )
    settings = (name, image_size, resize, interpolation, antialias, jpeg_downscale, "upright")
    return _finish(
        dataset,
        cache=resolved_cache,
        cache_name=f"{name}-{_cache_key(images, settings)}",
        shuffle=shuffle,
        seed=seed,
        size=len(images),
        batch_size=batch_size,
        augment=augment,
    )


def _file_decoder(
    images: Sequence[CheckedImage],
    image_size: tuple[int, int],
    resize: str,
    interpolation: str,
    antialias: bool,
    jpeg_downscale: bool,
) -> tuple[tuple[Any, ...], Callable[..., Any]]:
    """The per-file tensors and the function that decodes, turns upright and resizes one."""
    if resize not in RESIZE_MODES:
        raise ValueError(f"unknown resize mode {resize!r}; choose one of {', '.join(RESIZE_MODES)}")
    ratios = [jpeg_ratio(i, image_size) if jpeg_downscale else 1 for i in images]
    slices = (
        [i.path for i in images],
        [i.inline_png for i in images],
        np.asarray([_JPEG_RATIOS.index(r) for r in ratios], dtype=np.int32),
        np.asarray([i.orientation for i in images], dtype=np.int32),
    )
    any_inline = any(i.inline_png for i in images)
    ratio_indices = frozenset(slices[2].tolist())
    orientations = frozenset(slices[3].tolist())

    def load(path: Any, inline_png: Any, ratio_index: Any, orientation: Any) -> Any:
        image = decode_file(
            path, inline_png, ratio_index, any_inline=any_inline, ratio_indices=ratio_indices
        )
        image = orient_image(image, orientation, orientations)
        return resize_image(image, image_size, resize, interpolation, antialias)

    return slices, load


def decode_files_to_tensor(
    images: Sequence[CheckedImage],
    image_size: Sequence[int],
    *,
    resize: str = "stretch",
    interpolation: str = "bilinear",
    antialias: bool = False,
    jpeg_downscale: bool = True,
    name: str = "images",
) -> tuple[Any, list[int]]:
    """Decode every file once, as :func:`make_file_dataset` would, into one ``uint8`` tensor.

    The decode runs in parallel inside tf.data, with the pipeline's own decode, EXIF
    turn and resize; a file that fails to decode is left out instead of stopping the
    pass. This is how the tf.data loader checks JPEG, PNG and GIF files when its cache
    is in memory: the check's decode fills the cache, so no file is decoded twice.

    Args:
        images: Files from :func:`foodvision.data.checks.check_images`.
        image_size: ``(height, width)`` of the output images.
        resize: One of :data:`RESIZE_MODES`.
        interpolation: Resize method name (see :func:`resize_image`).
        antialias: Low-pass filter when shrinking.
        jpeg_downscale: Decode large JPEGs at reduced scale (see :func:`jpeg_ratio`).
        name: What is decoded, for the progress line.

    Returns:
        ``(decoded, failed)``: a ``(D, H, W, 3)`` ``tf.Tensor`` of the files that decoded,
        in input order, and the indices of the files that did not.

    Example:
        >>> decoded, failed = decode_files_to_tensor(checked, (64, 64))  # doctest: +SKIP

    """
    from foodvision.base.log import Progress

    tf = tensorflow()

    image_size = validate_image_size(image_size)
    if not images:
        return tf.zeros((0, *image_size, 3), tf.uint8), []
    slices, load = _file_decoder(
        images, image_size, resize, interpolation, antialias, jpeg_downscale
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices((np.arange(len(images)), *slices))
        .map(lambda index, *row: (index, load(*row)), num_parallel_calls=tf.data.AUTOTUNE)
        .ignore_errors()
        .batch(64)
        .prefetch(tf.data.AUTOTUNE)
    )
    batches, decoded = [], np.zeros(len(images), dtype=bool)
    with Progress(f"decoding the {name}", total=len(images), min_total=500) as progress:
        for indices, batch in dataset:  # in input order: tf.data maps deterministically
            batches.append(batch)
            decoded[indices.numpy()] = True
            progress.add(len(batch))
    return tf.concat(batches, axis=0), np.flatnonzero(~decoded).tolist()


def make_array_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 0,
    augment: Augment | None = None,
) -> Any:
    """Build the batched ``tf.data.Dataset`` for images already in memory.

    Args:
        images: ``uint8`` array or ``tf.Tensor`` ``(N, H, W, 3)``.
        labels: ``int`` array ``(N,)``.
        batch_size: Images per batch.
        shuffle: Reshuffle every epoch, seeded by ``seed``.
        seed: Shuffle seed.
        augment: Optional function mapped on every batch.

    Returns:
        A ``tf.data.Dataset``.

    Example:
        >>> ds = make_array_dataset(np.zeros((4, 8, 8, 3), np.uint8), np.arange(4))
        >>> [tuple(x.shape) for x, _ in ds]
        [(4, 8, 8, 3)]

    """
    tf = tensorflow()

    if not tf.is_tensor(images):  # a tensor (the loaders' decoded store) is used as it is
        images = np.asarray(images)
    labels = np.asarray(labels, dtype=np.int32)
    if len(images.shape) != 4 or images.shape[-1] != 3 or len(images) != len(labels):
        raise ValueError(
            f"expected images (N, H, W, 3) and N labels, got {images.shape} and {labels.shape}"
        )
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return _finish(
        dataset,
        cache=None,
        cache_name="",
        shuffle=False,
        seed=seed,
        size=len(images),
        batch_size=batch_size,
        augment=augment,
    )
