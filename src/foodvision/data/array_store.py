"""Decode image files once with Pillow, in parallel, into one uint8 array (the array loader).

The array loader needs no TensorFlow: every file is decoded, converted to RGB and resized
once, on all cores (Pillow releases the GIL while it decodes), into an ``(N, H, W, 3)``
``uint8`` array. That array is the cache: in memory when it fits, otherwise an unlinked
temporary file mapped in memory; with a cache folder, a ``.npy`` file there (memory-mapped
on later loads, which then decode nothing). Decoding is the file check too: a file that
does not decode is left out with its reason.

Files are read as a viewer shows them (:func:`foodvision.data.image_formats.open_upright`:
EXIF orientation, colour profile to sRGB, HEIC and AVIF) and decoded at reduced scale
when that still covers the target size with a margin (Pillow's ``draft`` for JPEG,
``reduce`` for other formats).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from foodvision.base.files import write_text_atomic
from foodvision.base.log import Progress
from foodvision.base.system import memory_budget, usable_cores
from foodvision.data.checks import CheckedImage, describe_error
from foodvision.data.image_formats import open_upright
from foodvision.data.pipeline import AUTO_CACHE_FRACTION

STORE_VERSION = 2
"""Stores written before version 2 hold pictures as stored, not upright."""


@dataclass
class DecodedImages:
    """Images decoded into one array.

    Attributes:
        images: ``(N, H, W, 3)`` uint8 array (possibly memory-mapped); a ``tf.Tensor``
            for the tf.data loader's store.
        row_of: Row of ``images`` for each decoded file's path.
        skipped: ``(path, reason)`` for the files that did not decode.
        batches: How the splits are batched: ``"arrays"`` (the array loader's
            :class:`~foodvision.data.array_split.ArraySplit`) or ``"tf"`` (a
            ``tf.data.Dataset`` of the rows, the tf.data loader's in-memory cache).

    """

    images: Any
    row_of: dict[str, int]
    skipped: list[tuple[str, str]]
    batches: str = "arrays"


def resize_rgb(image: Image.Image, size: tuple[int, int], resize: str = "stretch") -> np.ndarray:
    """Resize a Pillow RGB image to ``size`` (``(height, width)``) as the pipeline does.

    ``stretch`` ignores the aspect ratio, ``crop`` takes the largest centred region of the
    target's aspect ratio, ``pad`` fits the whole image and fills the borders with black.
    Bilinear, antialiased when shrinking.

    Example:
        >>> resize_rgb(Image.new("RGB", (40, 20)), (8, 8), "pad").shape
        (8, 8, 3)

    """
    height, width = size
    if resize == "crop":
        aspect = width / height
        crop_w = min(image.width, image.height * aspect)
        crop_h = min(image.height, image.width / aspect)
        left, top = (image.width - crop_w) / 2, (image.height - crop_h) / 2
        box = (left, top, left + crop_w, top + crop_h)
        return np.asarray(image.resize((width, height), Image.BILINEAR, box=box))
    if resize == "pad":
        scale = min(width / image.width, height / image.height)
        inner = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        canvas = Image.new("RGB", (width, height))
        canvas.paste(
            image.resize(inner, Image.BILINEAR),
            ((width - inner[0]) // 2, (height - inner[1]) // 2),
        )
        return np.asarray(canvas)
    return np.asarray(image.resize((width, height), Image.BILINEAR))


def decode_file(
    checked: CheckedImage, size: tuple[int, int], resize: str = "stretch"
) -> np.ndarray:
    """Decode one checked file (or its inline PNG) to upright sRGB ``uint8`` at ``size``.

    Raises:
        OSError: The file's data do not decode (truncated or corrupt).

    """
    source = io.BytesIO(checked.inline_png) if checked.inline_png else checked.path
    return resize_rgb(open_upright(source, size), size, resize)


def _store_key(images: Sequence[CheckedImage], settings: tuple) -> str:
    digest = hashlib.sha256(repr((STORE_VERSION, settings)).encode())
    for image in images:
        try:
            stat = os.stat(image.path)
            digest.update(f"{image.path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        except OSError:
            digest.update(f"{image.path}\0missing\0".encode())
    return digest.hexdigest()[:16]


def _allocate(
    count: int, size: tuple[int, int], cache: str | None, path: Path | None
) -> np.ndarray:
    shape = (count, *size, 3)
    if path is not None:
        return np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
    if count * size[0] * size[1] * 3 <= memory_budget(AUTO_CACHE_FRACTION) or cache == "":
        return np.empty(shape, np.uint8)
    return np.memmap(tempfile.TemporaryFile(), dtype=np.uint8, mode="w+", shape=shape)


def decode_images(
    images: Sequence[CheckedImage],
    size: tuple[int, int],
    *,
    resize: str = "stretch",
    cache: str | None = None,
    name: str = "images",
    num_workers: int | None = None,
) -> DecodedImages:
    """Decode and resize every file into one array, in parallel; reuse a cached store.

    Args:
        images: Files that passed the header check (:func:`check_images` with
            ``decode=False``).
        size: ``(height, width)``.
        resize: ``"stretch"``, ``"crop"`` or ``"pad"``.
        cache: ``None`` (in memory when it fits, else an unlinked temporary file),
            ``""`` (in memory) or a folder for a ``.npy`` store reused by later loads.
        name: Name of the store in the cache folder.
        num_workers: Decoding threads (default: the usable cores).

    Returns:
        A :class:`DecodedImages`; files that did not decode are in ``skipped``.

    """
    settings = (tuple(size), resize)
    path = meta_path = None
    if cache:
        key = _store_key(images, settings)
        folder = Path(cache)
        folder.mkdir(parents=True, exist_ok=True)
        path, meta_path = folder / f"{name}-{key}.npy", folder / f"{name}-{key}.json"
        if path.exists() and meta_path.exists():
            meta = json.loads(meta_path.read_text())
            array = np.load(path, mmap_mode="r")
            return DecodedImages(array, meta["row_of"], [tuple(s) for s in meta["skipped"]])
    partial = path.with_suffix(".partial.npy") if path is not None else None
    array = _allocate(len(images), size, cache, partial)

    def decode(index: int) -> str | None:
        try:
            array[index] = decode_file(images[index], size, resize)
        except Exception as err:  # noqa: BLE001 - an undecodable file is skipped with its reason
            return f"corrupt or truncated {images[index].format} data: {describe_error(err)}"
        return None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked already
        failures = []
        with (
            Progress(
                f"decoding the {name or 'images'}", total=len(images), min_total=500
            ) as progress,
            ThreadPoolExecutor(max_workers=num_workers or usable_cores()) as pool,
        ):
            for failure in pool.map(decode, range(len(images)), chunksize=16):
                failures.append(failure)
                progress.add(1)
    row_of = {
        image.path: i for i, (image, failure) in enumerate(zip(images, failures)) if not failure
    }
    skipped = [(image.path, failure) for image, failure in zip(images, failures) if failure]
    if path is not None:
        array.flush()
        del array
        os.replace(partial, path)
        meta = {"row_of": row_of, "skipped": skipped, "size": list(size), "resize": resize}
        write_text_atomic(meta_path, json.dumps(meta) + "\n")
        array = np.load(path, mmap_mode="r")
    return DecodedImages(array, row_of, skipped)
