"""Predict classes of image files with a saved model."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.base.shapes import model_image_size, model_num_classes
from foodvision.data.checks import check_images
from foodvision.data.pipeline import make_file_dataset, validate_image_size

CLASS_NAMES_FILE = "class_names.json"


def load_class_names(model_path: str | os.PathLike, num_classes: int) -> list[str]:
    """Class names saved next to a model (``class_names.json``), else ``class_0...``."""
    path = Path(model_path).parent / CLASS_NAMES_FILE
    if path.is_file():
        names = json.loads(path.read_text())
        if len(names) == num_classes:
            return [str(n) for n in names]
    return [f"class_{i}" for i in range(num_classes)]


def predict_files(
    model: Any,
    paths: Sequence[str],
    *,
    top_k: int = 3,
    class_names: Sequence[str] | None = None,
    batch_size: int = 32,
    resize: str = "stretch",
    image_size: tuple[int, int] | None = None,
) -> list[tuple[str, list[tuple[str, float]] | str]]:
    """Top-k predictions for image files, decoded and resized like the training data.

    Args:
        model: A ``keras.Model`` or the path of a ``.keras`` file (loaded in safe mode).
        paths: Image files.
        top_k: Classes to report per image.
        class_names: Names of the model's classes; default ``class_names.json`` next to
            the model file, else ``class_0``, ``class_1``, ...
        batch_size: Images per forward pass.
        resize: How images are brought to the model's input size (see
            :data:`foodvision.data.pipeline.RESIZE_MODES`).
        image_size: ``(height, width)`` to resize to. Default: the model's input size;
            needed for a model whose input size is not fixed.

    Returns:
        ``[(path, [(class name, probability), ...])]`` in input order; for a file that
        cannot be decoded, the reason instead of the list.

    Raises:
        FileNotFoundError: If the model file does not exist.
        ValueError: If ``class_names`` does not match the model's outputs, or
            ``image_size`` is missing for a model without a fixed input size or differs
            from a fixed one.

    Example:
        >>> predict_files("runs/x/best.keras", ["pizza.jpg"], top_k=2)  # doctest: +SKIP
        [('pizza.jpg', [('pizza', 0.93), ('donut', 0.04)])]

    """
    from foodvision.models import load_model, predict_batches

    model_path = None
    if isinstance(model, (str, os.PathLike)):
        model_path = model
        model = load_model(model_path, safe_mode=True)
    num_classes = model_num_classes(model)
    if num_classes is None:
        raise ValueError("the model has no (batch, classes) output to rank classes from")
    size = _input_size(model, image_size)
    if class_names is None:
        class_names = (
            load_class_names(model_path, num_classes)
            if model_path
            else [f"class_{i}" for i in range(num_classes)]
        )
    if len(class_names) != num_classes:
        raise ValueError(
            f"{len(class_names)} class names given but the model has {num_classes} outputs"
        )
    checked, skipped = check_images(list(paths))
    reasons = dict(skipped)
    good = [c for c in checked if c is not None]
    results: dict[str, list[tuple[str, float]]] = {}
    if good:
        dataset = make_file_dataset(
            good,
            [0] * len(good),
            image_size=size,
            batch_size=batch_size,
            cache=False,
            resize=resize,
        )
        probabilities = predict_batches(model, (x for x, _ in dataset.as_numpy_iterator()))
        k = max(1, min(top_k, num_classes))
        for image, row in zip(good, probabilities):
            order = np.argsort(row)[::-1][:k]
            results[image.path] = [(class_names[i], float(row[i])) for i in order]
    return [(p, results.get(p, reasons.get(p, "not decoded"))) for p in paths]


def _input_size(model: Any, image_size: Any) -> tuple[int, int]:
    """The size images are resized to: ``image_size``, checked against the model's own."""
    fixed = model_image_size(model)
    if image_size is None:
        if fixed is None:
            raise ValueError(
                "the model does not fix its input size; pass image_size=(height, width), "
                "the size it was trained at"
            )
        return fixed
    size = validate_image_size(image_size)
    if fixed is not None and size != fixed:
        raise ValueError(
            f"image_size {size} differs from the model's input size {fixed}; leave it out "
            "to use the model's own"
        )
    return size
