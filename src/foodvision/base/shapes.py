"""What a built model says about its input and output, read without running it.

Works on anything with Keras's ``input_shape`` / ``output_shape`` attributes and imports
no Keras, so callers can ask before any backend work.

Example:
    >>> class Model:
    ...     input_shape, output_shape = (None, 64, 48, 3), (None, 5)
    >>> model_image_size(Model()), model_num_classes(Model())
    ((64, 48), 5)
"""

from __future__ import annotations

from typing import Any


def _single(shape: Any, what: str) -> Any:
    if isinstance(shape, list):
        if len(shape) != 1:
            raise ValueError(
                f"the model has {len(shape)} {what}s; foodvision needs a model with one image "
                "input and one (batch, classes) output"
            )
        return shape[0]
    return shape


def model_num_classes(model: Any) -> int | None:
    """Number of outputs of a classifier, or ``None`` when the model does not say.

    Raises:
        ValueError: The model has several outputs.
    """
    try:
        shape = model.output_shape
    except (AttributeError, ValueError, RuntimeError):
        return None
    shape = _single(shape, "output")
    if not isinstance(shape, tuple) or len(shape) != 2 or not isinstance(shape[-1], int):
        return None
    return int(shape[-1])


def model_image_size(model: Any) -> tuple[int, int] | None:
    """``(height, width)`` of a model's image input, or ``None`` when it is not fixed.

    Raises:
        ValueError: The model has several inputs.
    """
    try:
        shape = model.input_shape
    except (AttributeError, ValueError, RuntimeError):
        return None
    shape = _single(shape, "input")
    if not isinstance(shape, tuple) or len(shape) != 4:
        return None
    height, width = shape[1], shape[2]
    if not isinstance(height, int) or not isinstance(width, int):
        return None
    return height, width
