"""Loading saved foodvision models (``.keras`` files) on any backend."""

from __future__ import annotations

import os
import warnings
import zipfile
from typing import Any

from foodvision.base.log import FoodvisionWarning


def _check_keras_archive(path: str) -> None:
    """Raise a clear ``ValueError`` when ``path`` is not a readable ``.keras`` zip archive.

    Example:
        >>> _check_keras_archive("runs/x/best.keras")  # doctest: +SKIP

    """
    if not path.endswith(".keras"):
        return  # legacy .h5 files are Keras's business
    if os.path.getsize(path) == 0:
        raise ValueError(f"model file {path!r} is empty (0 bytes); save the model again")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"model file {path!r} is not a valid .keras archive (a .keras file is a zip "
            "archive; this one is truncated or corrupt); save the model again with model.save"
        )


def _is_unsafe_lambda_error(error: BaseException) -> bool:
    """Whether Keras refused ``error``'s file because safe mode blocks Python lambdas."""
    text = str(error)
    return "safe_mode" in text and "Lambda" in text


def check_model_file(path: str | os.PathLike) -> str:
    """``path`` as a string when it names a readable ``.keras`` archive, without loading it.

    Raises:
        FileNotFoundError: No file at ``path`` (or a folder there).
        ValueError: The name does not end in ``.keras``, or the file is empty, truncated
            or not a zip archive.

    Example:
        >>> check_model_file("runs/step5/model.h5")  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        ValueError: 'runs/step5/model.h5' is not a .keras file; save the model with ...
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise FileNotFoundError(f"model file not found: {name!r} is a folder, not a .keras file")
    if not os.path.isfile(name):
        raise FileNotFoundError(f"model file not found: {name!r}")
    if not name.endswith(".keras"):
        raise ValueError(
            f"{name!r} is not a .keras file; save the model with model.save (Keras 3's "
            "format), or keras.saving.load_model a legacy file and save it again"
        )
    _check_keras_archive(name)
    return name


def load_model(path: str | os.PathLike, *, safe_mode: bool = True, compile: bool = True) -> Any:
    """Load a ``.keras`` file saved with ``model.save``, foodvision layers included.

    Same as ``keras.saving.load_model`` after ``import foodvision.layers`` (which registers
    foodvision's serializable layers); works on any backend whatever the saving one. A
    file written by :func:`foodvision.save_model` (every foodvision run writes one)
    carries its class names and input facts: :func:`foodvision.model_facts` returns them.

    Args:
        path: The ``.keras`` file.
        safe_mode: Refuse to deserialize Python lambdas (keep True for files from others).
        compile: Restore the optimizer and loss when the file has them.

    Raises:
        FileNotFoundError: No file at ``path`` (or a folder there).
        ValueError: The name does not end in ``.keras``, the file is empty, truncated or
            not a ``.keras`` archive, or (in safe mode) it holds a ``Lambda`` layer with
            Python code, which is refused because loading it could run arbitrary code.

    Example:
        >>> model = load_model("runs/step5/best.keras")  # doctest: +SKIP

    """
    name = check_model_file(path)
    import keras

    import foodvision.layers  # noqa: F401  (registers foodvision>... classes)
    import foodvision.training.rate_factors  # noqa: F401  (and the optimizers it compiles)
    from foodvision.models.model_file import FACTS_ATTRIBUTE, read_facts

    try:
        model = keras.saving.load_model(name, safe_mode=safe_mode, compile=compile)
    except ValueError as err:
        if safe_mode and _is_unsafe_lambda_error(err):
            raise ValueError(
                f"refusing to load {name!r} in safe mode: it contains a Lambda layer holding "
                "Python code, and loading it could run arbitrary code. Rebuild the model "
                "without Lambda layers (foodvision's models have none), or pass "
                "safe_mode=False only for a file you trust"
            ) from err
        raise
    try:
        facts = read_facts(name)
    except ValueError as err:  # the model itself loaded: keep it, without facts
        warnings.warn(
            f"{name}: its foodvision facts are unreadable ({err})",
            category=FoodvisionWarning,
            stacklevel=2,
        )
        facts = None
    setattr(model, FACTS_ATTRIBUTE, facts)
    return model
