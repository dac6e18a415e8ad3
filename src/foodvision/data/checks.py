"""Finding image files and deciding, before any training, which ones can be decoded.

Every file is decoded once up front: files that cannot be decoded are left out and
reported with a reason, so that no batch ever fails in the middle of an epoch. JPEG,
PNG and GIF files are checked with the same TensorFlow decoder that the pipeline uses;
other formats (BMP, WebP, ...), which TensorFlow decodes wrongly or not at all, are
decoded once with Pillow, converted to RGB and kept in memory as PNG bytes.
"""

from __future__ import annotations

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

from foodvision.base.log import Progress
from foodvision.base.system import usable_cores
from foodvision.base.tf_runtime import tensorflow

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
"""File name suffixes (lower case) that are treated as images; others are ignored."""

_TF_NATIVE_FORMATS = ("JPEG", "PNG", "GIF")


@dataclass(frozen=True)
class CheckedImage:
    """A file that decodes, with what the pipeline needs to decode it again.

    Attributes:
        path: The file.
        height: Image height in pixels.
        width: Image width in pixels.
        format: Pillow's name of the file format (``"JPEG"``, ``"PNG"``, ...).
        inline_png: RGB PNG bytes for files that TensorFlow cannot decode natively,
            else ``b""`` (the pipeline reads the file itself).

    """

    path: str
    height: int
    width: int
    format: str
    inline_png: bytes = b""


CHECK_PROGRESS_MIN = 500
"""Checks of fewer files than this show no progress (they take a second or two)."""


def is_image_file(name: str) -> bool:
    """Whether ``name`` looks like an image file: not hidden, with an image suffix.

    Example:
        >>> is_image_file("cat.JPG"), is_image_file(".cat.jpg"), is_image_file("notes.txt")
        (True, False, False)

    """
    return not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)


def list_image_files(directory: str | os.PathLike) -> list[str]:
    """Image files under ``directory`` (recursively), sorted, skipping hidden entries.

    Hidden files and folders (names starting with ``.``) and files without an image
    suffix are ignored. Symbolic links to folders are not followed.

    Example:
        >>> list_image_files("photos/pizza")  # doctest: +SKIP
        ['photos/pizza/1.jpg', 'photos/pizza/2.png']

    """
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, f) for f in files if is_image_file(f))
    return sorted(found)


def pil_to_rgb(image: Image.Image) -> np.ndarray:
    """Convert any Pillow image to an RGB uint8 array (16-bit scaled, not clipped)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        gray = np.clip(np.rint(array * (255.0 / peak)), 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=-1)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    return np.asarray(image.convert("RGB"))


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


def _inspect(path: str) -> CheckedImage | str:
    """Read the header (and decode non-native formats with Pillow); a reason on failure."""
    try:
        data = Path(path).read_bytes()
    except PermissionError:
        return "cannot read file: permission denied"
    except OSError as err:
        return f"cannot read file: {err.strerror or describe_error(err)}"
    if not data:
        return "empty file (0 bytes)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            image_format = image.format or "unknown"
            if image_format in _TF_NATIVE_FORMATS:
                return CheckedImage(path, height, width, image_format)
            rgb = pil_to_rgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return (
            f"image too large: exceeds Pillow's decompression-bomb limit of "
            f"{Image.MAX_IMAGE_PIXELS:,} pixels"
        )
    except Image.UnidentifiedImageError:
        return "not an image: unrecognised file format"
    except Exception as err:  # noqa: BLE001 - undecodable data means the file is skipped
        fmt = locals().get("image_format", "image")
        return f"corrupt or truncated {fmt} data: {describe_error(err)}"
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    return CheckedImage(path, height, width, image_format, buffer.getvalue())


def _native_decode_failures(paths: Sequence[str]) -> list[int]:
    """Find the indices of ``paths`` that TensorFlow's decoder rejects, in parallel."""
    if not paths:
        return []
    tf = tensorflow()

    def decode(index: Any, path: Any) -> tuple[Any, Any]:
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        return index, tf.shape(image)  # a data dependency, so the decode always runs

    dataset = (
        tf.data.Dataset.from_tensor_slices((np.arange(len(paths)), list(paths)))
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        .ignore_errors()
        .batch(256)
    )
    decoded = np.zeros(len(paths), dtype=bool)
    with Progress("decoding to check", total=len(paths), min_total=CHECK_PROGRESS_MIN) as progress:
        for indices, _ in dataset:
            decoded[indices.numpy()] = True
            progress.add(len(indices))
    return np.flatnonzero(~decoded).tolist()


def _native_decode_error(checked: CheckedImage) -> str:
    tf = tensorflow()

    try:
        data = tf.io.read_file(checked.path)
        tf.io.decode_image(data, channels=3, expand_animations=False)
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
    paths: Sequence[str], num_workers: int | None = None, *, decode: bool = True
) -> tuple[list[CheckedImage | None], list[tuple[str, str]]]:
    """Check many files: headers in threads, then a parallel decode of every image.

    JPEG, PNG and GIF files are decoded with TensorFlow's decoder (the one the pipeline
    uses), all of them in parallel inside tf.data; other formats are decoded once with
    Pillow and kept as RGB PNG bytes.

    Args:
        paths: Files to check.
        num_workers: Threads for reading headers; defaults to the usable CPU cores.
        decode: Decode the JPEG, PNG and GIF files with TensorFlow too. The array
            loader passes ``False``: it decodes every file with Pillow next, and that
            decode is its check.

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
        for result in pool.map(_inspect, paths, chunksize=64):
            results.append(result)
            progress.add(1)
    native = [i for i, r in enumerate(results) if isinstance(r, CheckedImage) and not r.inline_png]
    if not decode:
        native = []
    for failed in _native_decode_failures([paths[i] for i in native]):
        index = native[failed]
        results[index] = _native_decode_error(results[index])
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
        stacklevel=3,
    )
