"""Predict the classes of image files and folders with a saved model.

Images are decoded with Pillow (no TensorFlow needed), resized the way the model's
training data was (the model file records it) and run in batches; unreadable files get
the reason instead of a prediction, and the others are still predicted.

Example:
    >>> results = predict_files("runs/x/model.keras", ["photos/"], top_k=2)  # doctest: +SKIP
    >>> results[0].path, results[0].top[0]  # doctest: +SKIP
    ('photos/pizza.jpg', ('pizza', 0.93))
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.base.checks import check_int
from foodvision.base.log import Progress
from foodvision.base.shapes import model_image_size, model_num_classes
from foodvision.data.array_store import decode_file
from foodvision.data.checks import check_images, is_image_file, list_image_files
from foodvision.data.pipeline import RESIZE_MODES, validate_image_size
from foodvision.models.tta import predict_tta, resolve_tta

CLASS_NAMES_FILE = "class_names.json"
"""Sidecar of class names that models of older versions had beside them."""


@dataclasses.dataclass(frozen=True)
class Prediction:
    """The prediction for one file.

    Attributes:
        path: The file.
        top: ``[(class name, probability), ...]``, most likely first; empty when skipped.
        error: Why the file was not predicted, or ``None``.

    Example:
        >>> Prediction("pizza.jpg", [("pizza", 0.9), ("donut", 0.1)]).to_dict()["top"][0]
        {'class': 'pizza', 'probability': 0.9}
    """

    path: str
    top: list[tuple[str, float]]
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"path", "top": [{"class", "probability"}], "error"}``."""
        return {
            "path": self.path,
            "top": [{"class": name, "probability": p} for name, p in self.top],
            "error": self.error,
        }


def load_class_names(model_path: str | os.PathLike, num_classes: int) -> list[str] | None:
    """Class names of ``class_names.json`` next to a model of an older version, if any."""
    path = Path(model_path).parent / CLASS_NAMES_FILE
    if path.is_file():
        names = json.loads(path.read_text())
        if len(names) == num_classes:
            return [str(n) for n in names]
    return None


def expand_paths(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Files to predict: each file as given, each folder's image files (recursively).

    A path that is neither, or a folder without image files, stays in the list, so it
    is reported (as missing, or as an empty folder).

    Example:
        >>> expand_paths(["photos/", "one.jpg"])  # doctest: +SKIP
        ['photos/a.jpg', 'photos/b/c.png', 'one.jpg']
    """
    files: list[str] = []
    for path in paths:
        name = os.fspath(path)
        found = list_image_files(name) if os.path.isdir(name) else []
        files.extend(found or [name])
    return files


def predict_files(
    model: Any,
    paths: Sequence[str | os.PathLike],
    *,
    top_k: int = 3,
    class_names: Sequence[str] | None = None,
    batch_size: int = 32,
    resize: str | None = None,
    image_size: tuple[int, int] | None = None,
    tta: bool | str | Sequence[str] = False,
) -> list[Prediction]:
    """Top-k predictions for image files and folders.

    Args:
        model: A ``keras.Model`` or the path of a ``.keras`` file (loaded in safe mode).
        paths: Image files and folders (searched recursively for image files).
        top_k: Classes to report per image.
        class_names: Names of the model's classes; default: those saved in the model
            file (:func:`foodvision.model_facts`), else ``class_names.json`` beside it,
            else ``class_0``, ``class_1``, ...
        batch_size: Images per forward pass.
        resize: How photos are brought to the model's input size (``"stretch"``,
            ``"crop"``, ``"pad"``); default: the mode the model was trained with.
        image_size: ``(height, width)`` to resize to; default: the model's input size
            (needed for a model whose input size is not fixed).
        tta: Test-time augmentation: ``True`` averages the outputs of each image and
            its mirror; view names (``"flip,zoom"``) add more (see
            :func:`foodvision.models.tta.resolve_tta`).

    Returns:
        One :class:`Prediction` per file, in input order (folders expanded in sorted
        order); a file that cannot be read has ``error`` set and no ``top``.

    Raises:
        FileNotFoundError: If the model file does not exist.
        ValueError: If ``top_k`` or ``batch_size`` is below 1, no path holds an image
            file, ``class_names`` does not match the model's outputs, or
            ``image_size`` is missing for a model without a fixed input size or differs
            from a fixed one.

    Example:
        >>> predict_files("runs/x/model.keras", ["pizza.jpg"], top_k=2)  # doctest: +SKIP
        [Prediction(path='pizza.jpg', top=[('pizza', 0.93), ('donut', 0.04)], error=None)]
    """
    from foodvision.models import load_model, model_facts

    check_int("top_k", top_k, 1)
    check_int("batch_size", batch_size, 1)
    model_path = None
    if isinstance(model, (str, os.PathLike)):
        model_path = model
        model = load_model(model_path, safe_mode=True, compile=False)
    num_classes = model_num_classes(model)
    if num_classes is None:
        raise ValueError("the model has no (batch, classes) output to rank classes from")
    facts = model_facts(model)
    size = _input_size(model, image_size)
    resize = resize or (facts.resize if facts is not None else "stretch")
    if resize not in RESIZE_MODES:
        raise ValueError(f"resize must be one of {', '.join(RESIZE_MODES)}, got {resize!r}")
    names = class_names_of(model, model_path, num_classes, class_names)
    views = resolve_tta(tta)
    files = expand_paths(paths)
    empty_folders = {f for f in files if os.path.isdir(f)}
    if len(empty_folders) == len(files):
        raise ValueError(
            f"no image files in {', '.join(map(os.fspath, paths)) or 'the paths given'}"
        )
    checked, skipped = check_images([f for f in files if f not in empty_folders], decode=False)
    errors = dict(skipped) | dict.fromkeys(empty_folders, "a folder with no image files")
    good = [c for c in checked if c is not None]
    results: dict[str, list[tuple[str, float]]] = {}
    k = min(top_k, num_classes)
    step = batch_size
    with Progress("predicting", total=len(good), min_total=2 * step) as progress:
        for start in range(0, len(good), step):
            batch, kept = [], []
            for image in good[start : start + step]:
                try:
                    batch.append(decode_file(image, size, resize))
                    kept.append(image.path)
                except (OSError, ValueError) as err:
                    errors[image.path] = f"cannot be decoded: {err}"
            if batch:
                rows = predict_tta(model, np.stack(batch), views)
                for path, row in zip(kept, rows):
                    order = np.argsort(row)[::-1][:k]
                    results[path] = [(names[i], float(row[i])) for i in order]
            progress.add(len(batch))
    return [
        Prediction(p, results[p]) if p in results else Prediction(p, [], _reason(p, errors))
        for p in files
    ]


def _reason(path: str, errors: dict[str, str]) -> str:
    if path in errors:
        return errors[path]
    if not is_image_file(os.path.basename(path)):
        return "not an image file"
    return "not decoded"


def class_names_of(
    model: Any,
    model_path: str | os.PathLike | None,
    num_classes: int,
    given: Sequence[str] | None = None,
) -> list[str]:
    """The names of a model's outputs: ``given``, else its facts, else a sidecar, else numbers.

    Raises:
        ValueError: ``given`` does not have one name per output.
    """
    from foodvision.models import model_facts

    if given is not None:
        names = [str(n) for n in given]
        if len(names) != num_classes:
            raise ValueError(
                f"{len(names)} class names given but the model has {num_classes} outputs"
            )
        return names
    facts = model_facts(model)
    if facts is not None and facts.num_classes == num_classes:
        return list(facts.class_names)
    if model_path is not None:
        names = load_class_names(model_path, num_classes)
        if names is not None:
            return names
    return [f"class_{i}" for i in range(num_classes)]


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
