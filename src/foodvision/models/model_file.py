"""Self-describing model files: a ``.keras`` archive that knows its classes and inputs.

:func:`save_model` writes the whole network (raw 0..255 RGB in, class probabilities
out) with ``model.save`` and adds one entry, ``foodvision.json``, to the archive: the
:class:`ModelFacts` (class names, input size, resize mode, what it was trained on, its
test accuracy). Keras ignores the entry when it loads the file, so the archive stays a
plain Keras model; :func:`foodvision.load_model` reads the facts back and
:func:`model_facts` returns them. A model card (Markdown) is written beside the file.

Example:
    >>> facts = ModelFacts(class_names=("pizza", "sushi"), image_size=(224, 224))
    >>> facts.label(1)
    'sushi'
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
import shutil
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from foodvision.base.files import atomic_path, write_text_atomic
from foodvision.base.jsonable import json_safe
from foodvision.base.shapes import model_image_size, model_num_classes
from foodvision.base.system import package_version

FACTS_ENTRY = "foodvision.json"
"""Name of the facts entry inside the ``.keras`` archive."""

FACTS_ATTRIBUTE = "_foodvision_facts"
"""Attribute of a loaded or saved ``keras.Model`` that holds its :class:`ModelFacts`."""


@dataclasses.dataclass(frozen=True)
class ModelFacts:
    """What a saved model needs beside its weights to be used on new photos.

    Attributes:
        class_names: Name of each output, in order.
        image_size: ``(height, width)`` the images are resized to.
        resize: How a photo is brought to ``image_size``: ``"stretch"``, ``"crop"``
            (centre crop) or ``"pad"`` (see :data:`foodvision.data.pipeline.RESIZE_MODES`).
        model: Registry name of the architecture (``""`` for other models).
        trained_on: Where the training data came from and how many images each split had.
        training: The settings of the run (epochs, precision, augmentation, ...).
        metrics: What was measured, e.g. ``test_accuracy`` and ``test_accuracy_ci95``.
        created: UTC time the file was written (ISO 8601).
        versions: foodvision, Keras and backend versions that wrote it.

    Example:
        >>> ModelFacts(("a", "b"), (64, 64)).num_classes
        2
    """

    class_names: tuple[str, ...]
    image_size: tuple[int, int]
    resize: str = "stretch"
    model: str = ""
    trained_on: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    training: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    metrics: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    created: str = ""
    versions: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    def label(self, index: int) -> str:
        """The class name of output ``index``."""
        return self.class_names[index]

    def to_json(self) -> str:
        """The facts as JSON (what the archive holds)."""
        return json.dumps(json_safe(dataclasses.asdict(self)), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ModelFacts:
        """Read facts written by :meth:`to_json` (unknown keys are ignored).

        Raises:
            ValueError: The text is not a facts object.
        """
        try:
            raw = json.loads(text)
            names = tuple(str(n) for n in raw["class_names"])
            height, width = (int(v) for v in raw["image_size"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"not a foodvision facts entry: {err}") from err
        known = {f.name for f in dataclasses.fields(cls)}
        rest = {k: v for k, v in raw.items() if k in known - {"class_names", "image_size"}}
        return cls(class_names=names, image_size=(height, width), **rest)


def describe_model(
    model: Any,
    class_names: Sequence[str],
    *,
    resize: str = "stretch",
    trained_on: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> ModelFacts:
    """The :class:`ModelFacts` of ``model``, stamped with the time and versions.

    Raises:
        ValueError: ``class_names`` does not match the model's outputs, or the model
            has no fixed ``(height, width)`` input.

    Example:
        >>> facts = describe_model(model, data.class_names)  # doctest: +SKIP
    """
    import keras

    outputs = model_num_classes(model)
    if outputs is not None and outputs != len(class_names):
        raise ValueError(f"{len(class_names)} class names for a model with {outputs} outputs")
    size = model_image_size(model)
    if size is None:
        raise ValueError(
            "the model has no fixed (height, width) input; build it with an input_shape to "
            "save it with its facts"
        )
    backend = keras.backend.backend()
    stamp = {
        "foodvision": package_version("foodvision"),
        "keras": keras.__version__,
        "backend": backend,
        backend: getattr(sys.modules.get(backend), "__version__", "unknown"),
        "python": platform.python_version(),
    }
    return ModelFacts(
        class_names=tuple(str(n) for n in class_names),
        image_size=size,
        resize=resize,
        model=_registry_name(model),
        trained_on=dict(trained_on or {}),
        training=dict(training or {}),
        metrics=dict(metrics or {}),
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        versions=stamp,
    )


def _registry_name(model: Any) -> str:
    from foodvision.models.registry import list_models

    name = getattr(model, "name", "")
    return name if name in list_models() else ""


def save_model(
    model: Any, path: str | os.PathLike, facts: ModelFacts | None = None, *, card: bool = True
) -> Path:
    """Save the whole ``model`` with its facts inside, atomically, and its model card.

    Args:
        model: The ``keras.Model`` (raw 0..255 RGB in, probabilities out).
        path: The ``.keras`` file.
        facts: What to store with it; default: the facts the model was loaded or saved
            with (:func:`model_facts`), or none.
        card: Also write the model card (``<stem>_card.md``) beside the file.

    Returns:
        The path of the file.

    Raises:
        ValueError: ``path`` does not end in ``.keras``.

    Example:
        >>> facts = describe_model(model, data.class_names)  # doctest: +SKIP
        >>> save_model(model, "runs/x/model.keras", facts)  # doctest: +SKIP
    """
    target = Path(path)
    if target.suffix != ".keras":
        raise ValueError(f"a model file ends in .keras, got {os.fspath(path)!r}")
    facts = facts if facts is not None else model_facts(model)
    with atomic_path(target, suffix=".keras") as temporary:
        model.save(temporary)
        if facts is not None:
            with zipfile.ZipFile(temporary, "a") as archive:
                archive.writestr(FACTS_ENTRY, facts.to_json())
    if facts is not None:
        setattr(model, FACTS_ATTRIBUTE, facts)
        if card:
            write_text_atomic(card_path(target), model_card(facts, target.name))
    return target


def update_facts(path: str | os.PathLike, **changes: Any) -> ModelFacts:
    """Replace some facts of a saved model (e.g. its ``metrics``), rewriting its card.

    Each keyword replaces that field whole: merge with the old value to add to it.

    Raises:
        ValueError: The file holds no facts, or a keyword is not a field of the facts.

    Example:
        >>> update_facts("runs/x/model.keras", metrics={"test_accuracy": 0.91})  # doctest: +SKIP
    """
    target = Path(path)
    facts = read_facts(target)
    if facts is None:
        raise ValueError(f"{os.fspath(path)!r} holds no foodvision facts to update")
    unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(ModelFacts)})
    if unknown:
        raise ValueError(f"not fields of the model facts: {', '.join(unknown)}")
    facts = dataclasses.replace(facts, **changes)
    with atomic_path(target, suffix=".keras") as temporary:
        with zipfile.ZipFile(target) as source, zipfile.ZipFile(temporary, "w") as copy:
            for item in source.infolist():
                if item.filename != FACTS_ENTRY:
                    with source.open(item) as reader, copy.open(item, "w") as writer:
                        shutil.copyfileobj(reader, writer, 1 << 20)
            copy.writestr(FACTS_ENTRY, facts.to_json())
    write_text_atomic(card_path(target), model_card(facts, target.name))
    return facts


def read_facts(path: str | os.PathLike) -> ModelFacts | None:
    """The facts inside a ``.keras`` file, or ``None`` when it has none.

    Example:
        >>> read_facts("runs/x/model.keras").class_names  # doctest: +SKIP
        ('apple_pie', 'pizza')
    """
    if not os.path.isfile(path):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            if FACTS_ENTRY not in archive.namelist():
                return None
            return ModelFacts.from_json(archive.read(FACTS_ENTRY).decode("utf-8"))
    except zipfile.BadZipFile:
        return None


def model_facts(model: Any) -> ModelFacts | None:
    """The facts of a model (loaded with :func:`foodvision.load_model`) or of a file.

    Example:
        >>> fv.model_facts(fv.load_model("runs/x/model.keras")).class_names  # doctest: +SKIP
    """
    if isinstance(model, (str, os.PathLike)):
        return read_facts(model)
    return getattr(model, FACTS_ATTRIBUTE, None)


def card_path(model_path: str | os.PathLike) -> Path:
    """Where the model card of ``model_path`` goes: ``<stem>_card.md`` beside it."""
    path = Path(model_path)
    return path.with_name(f"{path.stem}_card.md")


def model_card(facts: ModelFacts, file_name: str = "model.keras") -> str:
    """A short Markdown model card: what the model does, its data, results and versions."""
    metrics = dict(facts.metrics)
    lines = [
        f"# Model card: {file_name}",
        "",
        f"- **Task**: classify a photo into one of {facts.num_classes} classes: "
        f"{', '.join(facts.class_names)}.",
        f"- **Architecture**: {facts.model or 'a custom Keras model'}.",
        f"- **Input**: RGB values 0..255, shape (batch, {facts.image_size[0]}, "
        f"{facts.image_size[1]}, 3); photos are resized with {facts.resize!r}; the "
        "preprocessing is inside the model.",
        f"- **Output**: {facts.num_classes} class probabilities (softmax).",
        f"- **Written**: {facts.created or 'unknown'}.",
        "",
        "## Training data",
        "",
    ]
    trained_on = dict(facts.trained_on)
    source = trained_on.pop("source", "")
    lines.append(f"- Source: {source or 'not recorded'}")
    lines += [
        f"- {key.replace('_', ' ').capitalize()}: {value}" for key, value in trained_on.items()
    ]
    if facts.training:
        lines += ["", "## Training", ""]
        lines += [f"- {key.replace('_', ' ')}: {value}" for key, value in facts.training.items()]
    lines += ["", "## Results", ""]
    accuracy = metrics.pop("test_accuracy", None)
    interval = metrics.pop("test_accuracy_ci95", None)
    if accuracy is not None:
        text = f"- Test accuracy: {accuracy:.1%}"
        if interval:
            text += f" (95 % bootstrap interval {interval[0]:.1%}-{interval[1]:.1%})"
        lines.append(text + f" on {metrics.pop('test_images', '?')} held-out images.")
    else:
        lines.append("- Not evaluated on a test split yet (`foodvision evaluate`).")
    lines += [f"- {key.replace('_', ' ')}: {_number(value)}" for key, value in metrics.items()]
    lines += [
        "",
        "## Limits",
        "",
        "- It only knows the classes above: any photo gets one of them, however unrelated.",
        "- Accuracy is measured on photos like the training ones; other cameras, "
        "lighting or cuisines may do worse.",
        "",
        "## Versions",
        "",
        *[f"- {name} {version}" for name, version in facts.versions.items()],
        "",
    ]
    return "\n".join(lines)


def _number(value: Any) -> Any:
    return f"{value:.4g}" if isinstance(value, float) else value
