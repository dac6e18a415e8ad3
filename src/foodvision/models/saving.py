"""Loading saved foodvision models (``.keras`` files) on any backend."""

from __future__ import annotations

import os
from typing import Any


def load_model(path: str | os.PathLike, *, safe_mode: bool = True, compile: bool = True) -> Any:
    """Load a ``.keras`` file saved with ``model.save``, foodvision layers included.

    Same as ``keras.saving.load_model`` after ``import foodvision.layers`` (which registers
    foodvision's serializable layers); works on any backend whatever the saving one.

    Args:
        path: The ``.keras`` file.
        safe_mode: Refuse to deserialize Python lambdas (keep True for files from others).
        compile: Restore the optimizer and loss when the file has them.

    Raises:
        FileNotFoundError: No file at ``path``.

    Example:
        >>> model = load_model("runs/step5/best.keras")  # doctest: +SKIP

    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file not found: {os.fspath(path)!r}")
    import keras

    import foodvision.layers  # noqa: F401  (registers foodvision>... classes)

    return keras.saving.load_model(path, safe_mode=safe_mode, compile=compile)
