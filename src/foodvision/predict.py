"""Predict classes of image files with a saved model."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.data.checks import check_images
from foodvision.data.pipeline import make_file_dataset

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
        resize: How images are brought to the model's input size.
        image_size: ``(height, width)`` to resize to; default the model's input size.

    Returns:
        ``[(path, [(class name, probability), ...])]`` in input order; for a file that
        cannot be decoded, the reason instead of the list.

    Raises:
        FileNotFoundError: If the model file does not exist.
        ValueError: If ``class_names`` does not match the model's outputs.

    Example:
        >>> predict_files("runs/x/best.keras", ["pizza.jpg"], top_k=2)  # doctest: +SKIP
        [('pizza.jpg', [('pizza', 0.93), ('donut', 0.04)])]

    """
    from foodvision.models.saving import load_model

    model_path = None
    if isinstance(model, (str, os.PathLike)):
        model_path = model
        model = load_model(model_path, safe_mode=True)
    num_classes = int(model.output_shape[-1])
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
        height, width = model.input_shape[1:3]
        dataset = make_file_dataset(
            good,
            [0] * len(good),
            image_size=(height, width),
            batch_size=batch_size,
            cache=False,
            resize=resize,
        )
        probabilities = np.concatenate(
            [np.asarray(model.predict_on_batch(x)) for x, _ in dataset.as_numpy_iterator()]
        )
        k = max(1, min(top_k, num_classes))
        for image, row in zip(good, probabilities):
            order = np.argsort(row)[::-1][:k]
            results[image.path] = [(class_names[i], float(row[i])) for i in order]
    return [(p, results.get(p, reasons.get(p, "not decoded"))) for p in paths]
