"""Writers for broken and unusual image files, shared by the data tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def jpeg_bytes(size=(32, 40), seed=0, mode="RGB") -> bytes:
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def write_bad_files(folder: Path) -> dict[str, str]:
    """Write one bad file of each kind; returns {file name: expected reason prefix}."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zero.jpg").write_bytes(b"")
    full = jpeg_bytes(size=(64, 64))
    (folder / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (folder / "random.jpg").write_bytes(np.random.default_rng(1).bytes(3000))
    (folder / "text.png").write_text("this is not an image\n" * 20)
    # 1-bit image above Pillow's decompression-bomb threshold: tiny on disk.
    bomb = Image.new("1", (12000, 8000))
    bomb.save(folder / "bomb.png", optimize=False)
    return {
        "zero.jpg": "empty file",
        "truncated.jpg": "corrupt or truncated JPEG",
        "random.jpg": "not an image",
        "text.png": "not an image",
        "bomb.png": "image too large",
    }
