"""Reading a photo as a viewer shows it: formats, EXIF orientation, colour profile, scale.

Phones store pictures sideways with an EXIF orientation tag, in HEIC or AVIF, with a
wide-gamut colour profile, at 12-50 megapixels. Every Pillow read in foodvision goes
through :func:`open_upright`, which

- reads HEIC/HEIF through the ``pillow-heif`` plugin and AVIF through Pillow itself;
- applies the EXIF orientation (tags 1-8, as ``PIL.ImageOps.exif_transpose`` does);
- converts an embedded ICC colour profile to sRGB (profiles that already are sRGB are
  left alone, so most files cost nothing);
- decodes a JPEG at reduced scale (1/2, 1/4 or 1/8 in the decoder, ``Image.draft``) when
  that still covers three times the target size, so that the final resize gives what a
  full decode would within rounding. Other formats have no reduced-scale decode; they
  are decoded whole (resizing the decoded picture is cheap next to decoding it).

The tf.data pipeline applies the same orientation to its own JPEG decodes
(:func:`foodvision.data.pipeline.orient_image`) and sends files whose colour profile
needs converting through this module.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from collections.abc import Sequence
from typing import IO, Any

import numpy as np
from PIL import Image, ImageCms, features

ORIENTATION_TAG = 0x0112
"""The EXIF tag that says how a stored picture is turned for display."""

TRANSPOSING_ORIENTATIONS = frozenset({5, 6, 7, 8})
"""Orientation tags whose display swaps the stored width and height."""

_TRANSPOSE_METHODS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""Pillow's transposition for each orientation tag (the table of ``exif_transpose``)."""

_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")


@functools.lru_cache(maxsize=1)
def heif_supported() -> bool:
    """Register the ``pillow-heif`` opener once; whether HEIC/HEIF files can be read.

    Example:
        >>> heif_supported()  # doctest: +SKIP
        True

    """
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def avif_supported() -> bool:
    """Whether this Pillow reads AVIF (Pillow 11.3 and later, built with libavif)."""
    return bool(features.check("avif"))


def unreadable_format_reason(head: bytes) -> str | None:
    """Why a file Pillow did not recognise cannot be read, when its first bytes say.

    The example is what a machine without ``pillow-heif`` gets.

    Args:
        head: At least the first 12 bytes of the file.

    Returns:
        A reason naming what to install for a HEIC/HEIF or AVIF file without a reader,
        else ``None``.

    Example:
        >>> unreadable_format_reason(bytes(4) + b"ftypheic")  # doctest: +SKIP
        'HEIC/HEIF image: reading it needs the pillow-heif package (pip install pillow-heif)'

    """
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _HEIF_BRANDS and not heif_supported():
        return "HEIC/HEIF image: reading it needs the pillow-heif package (pip install pillow-heif)"
    if brand in _AVIF_BRANDS and not avif_supported():
        return "AVIF image: this Pillow cannot read AVIF; pip install 'pillow>=11.3'"
    return None


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation tag of an opened image: 1 (upright) to 8; 1 when absent or invalid.

    Example:
        >>> exif_orientation(Image.new("RGB", (4, 4)))
        1

    """
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # noqa: BLE001 - a broken EXIF block leaves the picture as stored
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """``(width, height)`` of the picture as displayed, given the stored size and the tag.

    Example:
        >>> upright_size(4000, 3000, 6)
        (3000, 4000)

    """
    return (height, width) if orientation in TRANSPOSING_ORIENTATIONS else (width, height)


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


_SRGB = ImageCms.createProfile("sRGB")
_PROBE = Image.fromarray(
    np.stack(np.meshgrid(*[np.linspace(0, 255, 6).astype(np.uint8)] * 3), -1).reshape(1, -1, 3)
)
"""216 colours spread over the RGB cube: a profile that maps them all to themselves
(within one level) is treated as sRGB."""


@functools.lru_cache(maxsize=32)
def _srgb_transform(profile_digest: str, mode: str, profile: bytes) -> Any:
    """An ICC transform to sRGB, or ``None`` when the profile is sRGB or unusable."""
    del profile_digest  # the cache key: hashing the bytes is cheaper than comparing them
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        transform = ImageCms.buildTransform(
            source,
            _SRGB,
            mode,
            "RGB",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.NOCACHE,  # applied from several threads at once
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    if mode == "RGB":
        probe = np.asarray(ImageCms.applyTransform(_PROBE, transform), dtype=np.int16)
        if np.abs(probe - np.asarray(_PROBE, dtype=np.int16)).max() <= 1:
            return None
    return transform


def srgb_transform(image: Image.Image) -> Any:
    """The transform that brings ``image``'s embedded colour profile to sRGB, if one is needed.

    Returns:
        ``None`` for images without a profile, with an sRGB profile (or one that maps
        colours to themselves), with a profile that cannot be read, or in a mode other
        than RGB, L and CMYK; else an ``ImageCms`` transform.

    Example:
        >>> srgb_transform(Image.new("RGB", (4, 4))) is None
        True

    """
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "L", "CMYK"):
        return None
    digest = hashlib.sha1(profile, usedforsecurity=False).hexdigest()
    return _srgb_transform(digest, image.mode, profile)


JPEG_DRAFT_GAP = 3
"""A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that is still this many
times the target size: the final resize then matches a full decode's within 2 levels."""


def cover_size(width: int, height: int, size: Sequence[int]) -> tuple[int, int]:
    """Smallest ``(width, height)`` of the same aspect ratio that covers ``size``; never larger.

    Example:
        >>> cover_size(4000, 3000, (224, 224))
        (299, 224)

    """
    scale = min(1.0, max(int(size[1]) / width, int(size[0]) / height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def open_upright(source: str | os.PathLike | IO[bytes], size: Sequence[int] | None = None) -> Any:
    """Decode a picture upright, in sRGB, as a Pillow ``RGB`` image.

    Args:
        source: A file path or a binary file object.
        size: The ``(height, width)`` the picture will be resized to: a JPEG is then
            decoded at the smallest scale (1/2, 1/4, 1/8) that is still
            :data:`JPEG_DRAFT_GAP` times that size; ``None`` decodes it whole.

    Returns:
        A ``PIL.Image.Image`` in mode ``RGB``, as a photo viewer shows the file.

    Raises:
        OSError: The data do not decode (``PIL.UnidentifiedImageError`` for an unknown
            format).

    Example:
        >>> open_upright("IMG_0001.JPG", (224, 224)).size  # a 4032 x 3024 photo  # doctest: +SKIP
        (1008, 756)

    """
    heif_supported()
    with Image.open(source) as image:
        orientation = exif_orientation(image)
        if size is not None and image.format == "JPEG":
            wanted = (JPEG_DRAFT_GAP * int(size[1]), JPEG_DRAFT_GAP * int(size[0]))
            if orientation in TRANSPOSING_ORIENTATIONS:
                wanted = wanted[::-1]
            image.draft("RGB", wanted)
        image.load()
        transform = srgb_transform(image)
        if transform is not None:
            converted = ImageCms.applyTransform(image, transform)
        else:
            converted = Image.fromarray(pil_to_rgb(image))
    if orientation in _TRANSPOSE_METHODS:
        converted = converted.transpose(_TRANSPOSE_METHODS[orientation])
    return converted
