"""Finding image files and deciding, before any training, which ones can be decoded.

Every file is decoded once up front: files that cannot be decoded are left out and
reported with a reason, so that no batch ever fails in the middle of an epoch. JPEG,
PNG and GIF files are checked with the same TensorFlow decoder that the pipeline uses
(a JPEG at 1/8 scale: the decoder still reads every block, in a fraction of the time);
other formats (HEIC, AVIF, WebP, BMP, TIFF, ...) and files with a colour profile that
is not sRGB are decoded once with Pillow (:func:`foodvision.data.image_formats.open_upright`:
upright, in sRGB), shrunk to just cover the target size and kept in memory as PNG bytes.
The header read also takes each file's EXIF orientation, which the pipeline applies.
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from foodvision.base.log import FoodvisionWarning, Progress, get_logger
from foodvision.base.system import usable_cores
from foodvision.base.tf_runtime import tensorflow
from foodvision.data.image_formats import (
    cover_size,
    exif_orientation,
    heif_supported,
    open_upright,
    srgb_transform,
    unreadable_format_reason,
    upright_size,
)

IMAGE_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".jpe",
    ".jfif",
    ".png",
    ".bmp",
    ".gif",
    ".webp",
    ".tif",
    ".tiff",
    ".heic",
    ".heif",
    ".avif",
)
"""File name suffixes (lower case) of images that are read."""

RAW_EXTENSIONS = (".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf", ".pef", ".srw")
"""Camera raw suffixes: listed as images, then skipped with a reason (not silently)."""

_TF_NATIVE_FORMATS = ("JPEG", "PNG", "GIF")


@dataclass(frozen=True)
class CheckedImage:
    """A file that decodes, with what the pipeline needs to decode it again.

    Attributes:
        path: The file.
        height: Image height in pixels.
        width: Image width in pixels.
        height: Image height in pixels, upright (after the EXIF orientation).
        width: Image width in pixels, upright.
        format: Pillow's name of the file format (``"JPEG"``, ``"PNG"``, ``"HEIF"``, ...).
        inline_png: The picture decoded by Pillow (upright, sRGB, shrunk to cover the
            target size) as RGB PNG bytes, for files that TensorFlow cannot decode as a
            viewer shows them; else ``b""`` (the pipeline reads the file itself).
        orientation: EXIF orientation tag (1-8) the pipeline applies after decoding the
            file; always 1 with ``inline_png``, which is upright already.

    """

    path: str
    height: int
    width: int
    format: str
    inline_png: bytes = b""
    orientation: int = 1


CHECK_PROGRESS_MIN = 500
"""Checks of fewer files than this show no progress (they take a second or two)."""


def is_image_file(name: str) -> bool:
    """Whether ``name`` looks like an image file: not hidden, with an image or raw suffix.

    Example:
        >>> is_image_file("cat.JPG"), is_image_file("IMG_1.HEIC"), is_image_file("notes.txt")
        (True, True, False)

    """
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS + RAW_EXTENSIONS)


def list_image_files(directory: str | os.PathLike) -> list[str]:
    """Image files under ``directory`` (recursively), sorted, skipping hidden entries.

    Hidden files and folders (names starting with ``.``) are ignored. Other files
    without an image suffix are left out with a log line that counts them by suffix.
    Camera raw files are listed (the check then skips them with a reason). Symbolic
    links to folders are not followed.

    Example:
        >>> list_image_files("photos/pizza")  # doctest: +SKIP
        ['photos/pizza/1.jpg', 'photos/pizza/2.heic']

    """
    found = []
    others: dict[str, int] = {}
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if is_image_file(name):
                found.append(os.path.join(root, name))
            elif not name.startswith("."):
                suffix = os.path.splitext(name)[1].lower() or "no suffix"
                others[suffix] = others.get(suffix, 0) + 1
    if others:
        counts = ", ".join(f"{n} {suffix}" for suffix, n in sorted(others.items()))
        total = sum(others.values())
        get_logger(__name__).info(
            "left out %d %s under %s that %s (%s)",
            total,
            "file" if total == 1 else "files",
            os.fspath(directory),
            "is not an image" if total == 1 else "are not images",
            counts,
        )
    return sorted(found)


def describe_error(error: BaseException) -> str:
    """First line of an error's message, without TensorFlow's op details around it.

    Example:
        >>> describe_error(ValueError("Invalid PNG data, size 6 [Op:DecodeImage] name: "))
        'Invalid PNG data, size 6'

    """
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "{{function_node" in text:  # TensorFlow prefixes op errors with graph details
        text = text.split("}}")[-1].strip()
    if " [Op:" in text:  # ... and eager op errors end in " [Op:DecodeImage] name: "
        text = text.split(" [Op:")[0].strip()
    return text or type(error).__name__


def _unsupported_suffix_reason(path: str) -> str | None:
    suffix = os.path.splitext(path)[1].lower()
    if suffix in RAW_EXTENSIONS:
        return f"camera raw file ({suffix}): not supported; export it as JPEG, HEIC or PNG"
    return None


def _inspect(path: str, decode: bool, image_size: Sequence[int] | None) -> CheckedImage | str:
    """Read the header (and decode with Pillow what TensorFlow cannot); a reason on failure."""
    reason = _unsupported_suffix_reason(path)
    if reason:
        return reason
    try:
        data = Path(path).read_bytes()
    except PermissionError:
        return "cannot read file: permission denied"
    except OSError as err:
        return f"cannot read file: {err.strerror or describe_error(err)}"
    if not data:
        return "empty file (0 bytes)"
    heif_supported()
    image_format = "image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or "unknown"
                orientation = exif_orientation(image)
                width, height = upright_size(*image.size, orientation)
                native = image_format in _TF_NATIVE_FORMATS and srgb_transform(image) is None
            if not decode or native:
                return CheckedImage(path, height, width, image_format, orientation=orientation)
            upright = open_upright(io.BytesIO(data), image_size)
            if image_size is not None:
                upright = upright.resize(
                    cover_size(upright.width, upright.height, image_size), Image.BILINEAR
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return (
            f"image too large: exceeds Pillow's decompression-bomb limit of "
            f"{Image.MAX_IMAGE_PIXELS:,} pixels"
        )
    except Image.UnidentifiedImageError:
        return unreadable_format_reason(data[:16]) or "not an image: unrecognised file format"
    except Exception as err:  # noqa: BLE001 - undecodable data means the file is skipped
        return f"corrupt or truncated {image_format} data: {describe_error(err)}"
    buffer = io.BytesIO()
    upright.save(buffer, format="PNG", compress_level=1)
    return CheckedImage(path, height, width, image_format, buffer.getvalue())


CHECK_JPEG_RATIO = 8
"""JPEGs are check-decoded at 1/8 scale: every entropy-coded block is still read (so a
truncated or corrupt file still fails) but the inverse DCT and colour conversion shrink
64-fold."""


def _check_decode(data: Any, is_jpeg: Any) -> Any:
    """Decode for the check: JPEG at 1/8 scale, anything else whole."""
    tf = tensorflow()

    return tf.cond(
        is_jpeg,
        lambda: tf.io.decode_jpeg(data, channels=3, ratio=CHECK_JPEG_RATIO),
        lambda: tf.io.decode_image(data, channels=3, expand_animations=False),
    )


def _native_decode_failures(images: Sequence[CheckedImage]) -> list[int]:
    """Find the indices of ``images`` that TensorFlow's decoder rejects, in parallel."""
    if not images:
        return []
    tf = tensorflow()

    def decode(index: Any, path: Any, is_jpeg: Any) -> tuple[Any, Any]:
        image = _check_decode(tf.io.read_file(path), is_jpeg)
        return index, tf.shape(image)  # a data dependency, so the decode always runs

    slices = (
        np.arange(len(images)),
        [i.path for i in images],
        np.asarray([i.format == "JPEG" for i in images]),
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices(slices)
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        .ignore_errors()
        .batch(256)
    )
    decoded = np.zeros(len(images), dtype=bool)
    with Progress("decoding to check", total=len(images), min_total=CHECK_PROGRESS_MIN) as progress:
        for indices, _ in dataset:
            decoded[indices.numpy()] = True
            progress.add(len(indices))
    return np.flatnonzero(~decoded).tolist()


def native_decode_error(checked: CheckedImage) -> str:
    """Why TensorFlow cannot decode a checked file (it is decoded again to find out)."""
    tf = tensorflow()

    try:
        _check_decode(tf.io.read_file(checked.path), tf.constant(checked.format == "JPEG"))
    except (tf.errors.OpError, OSError) as err:
        return f"corrupt or truncated {checked.format} data: {describe_error(err)}"
    return f"{checked.format} data could not be decoded"


def check_image(path: str) -> CheckedImage | str:
    """Check that ``path`` decodes to an image.

    Args:
        path: File to check.

    Returns:
        A :class:`CheckedImage` when the file decodes, else a short reason why not.

    Example:
        >>> check_image("empty.jpg")  # doctest: +SKIP
        'empty file (0 bytes)'

    """
    checked, skipped = check_images([path])
    return checked[0] if checked[0] is not None else skipped[0][1]


def check_images(
    paths: Sequence[str],
    num_workers: int | None = None,
    *,
    decode: bool = True,
    image_size: Sequence[int] | None = None,
    native_decode: bool = True,
) -> tuple[list[CheckedImage | None], list[tuple[str, str]]]:
    """Check many files: headers in threads, then a parallel decode of every image.

    JPEG, PNG and GIF files are decoded with TensorFlow's decoder (the one the pipeline
    uses; JPEG at 1/8 scale), all of them in parallel inside tf.data; other formats, and
    files whose colour profile is not sRGB, are decoded once with Pillow (upright, in
    sRGB) and kept as RGB PNG bytes.

    Args:
        paths: Files to check.
        num_workers: Threads for reading headers; defaults to the usable CPU cores.
        decode: Decode the files too. The array loader, ``predict`` and ``serve`` pass
            ``False`` (headers only): they decode every file with Pillow next, and that
            decode is their check.
        image_size: ``(height, width)`` the images will be resized to: the pictures kept
            as PNG bytes are stored at the smallest size that covers it (default: whole).
        native_decode: With ``decode``, decode the JPEG, PNG and GIF files here too.
            ``False`` leaves that decode to the caller, who must then leave out and
            report the files that fail: the tf.data loader with an in-memory cache
            decodes them once, into its cache
            (:func:`foodvision.data.pipeline.decode_files_to_tensor`).

    Returns:
        ``(checked, skipped)``: ``checked[i]`` is the :class:`CheckedImage` of
        ``paths[i]`` or ``None`` when it was skipped; ``skipped`` lists
        ``(path, reason)`` for the files left out, in input order.

    Example:
        >>> checked, skipped = check_images(["a.jpg", "b.png"])  # doctest: +SKIP

    """
    workers = num_workers or usable_cores()
    results: list[CheckedImage | str] = []
    with (
        Progress(
            "checking files", total=len(paths), unit="files", min_total=CHECK_PROGRESS_MIN
        ) as progress,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        inspect = functools.partial(_inspect, decode=decode, image_size=image_size)
        for result in pool.map(inspect, paths, chunksize=64):
            results.append(result)
            progress.add(1)
    native = [i for i, r in enumerate(results) if isinstance(r, CheckedImage) and not r.inline_png]
    if not (decode and native_decode):
        native = []
    for failed in _native_decode_failures([results[i] for i in native]):
        index = native[failed]
        results[index] = native_decode_error(results[index])
    checked = [r if isinstance(r, CheckedImage) else None for r in results]
    skipped = [(p, r) for p, r in zip(paths, results) if isinstance(r, str)]
    return checked, skipped


def warn_skipped(skipped: Iterable[tuple[str, str]], total: int) -> None:
    """Emit one warning summarising the files that were left out."""
    skipped = list(skipped)
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for _, reason in skipped:
        kind = reason.split(":")[0]
        reasons[kind] = reasons.get(kind, 0) + 1
    detail = "; ".join(f"{n} {kind}" for kind, n in sorted(reasons.items()))
    warnings.warn(
        f"skipped {len(skipped)} of {total} image files ({detail}); "
        "see ImageData.skipped for the list",
        category=FoodvisionWarning,
        stacklevel=3,
    )
