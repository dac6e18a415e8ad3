"""Several trained classifiers as one model that averages their class probabilities.

Models of the same classes trained on other seeds (``foodvision study --seeds N`` trains
one per seed) make different mistakes; the mean of their probabilities is usually more
accurate than any of them. :func:`ensemble_models` turns them into one ``keras.Model``
that saves, loads, predicts and exports like any other.

Example:
    >>> members = [fv.load_model(f"runs/study/seed{k}/step5_vgg16/model.keras")
    ...            for k in range(3)]  # doctest: +SKIP
    >>> ensemble = fv.ensemble_models(members)  # doctest: +SKIP
    >>> fv.save_model(ensemble, "runs/ensemble.keras")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from foodvision.base.shapes import model_image_size, model_num_classes
from foodvision.models.model_file import FACTS_ATTRIBUTE, ModelFacts, model_facts


def ensemble_models(models: Sequence[Any], *, name: str = "ensemble") -> Any:
    """One model whose output is the mean of the class probabilities of ``models``.

    Each member keeps its own weights (nothing is copied or retrained); its output is
    cast to ``float32`` before the mean. When the members carry facts (models from
    :func:`foodvision.load_model` or the study), they must agree on the classes, the
    input size and the resize mode, and the ensemble carries them for
    :func:`foodvision.save_model` and ``predict``.

    Args:
        models: Two or more classifiers with the same image input and number of
            classes (raw 0..255 RGB in, probabilities out, as every foodvision model).
        name: Name of the ensemble model.

    Returns:
        A functional ``keras.Model``; its members are its layers ``member_0``, ...

    Raises:
        ValueError: Fewer than two models, or members that differ in input shape,
            number of classes or facts.

    Example:
        >>> a, b = (fv.build_model("baseline_cnn", num_classes=3,
        ...                        input_shape=(64, 64, 3)) for _ in range(2))  # doctest: +SKIP
        >>> fv.ensemble_models([a, b]).output_shape  # doctest: +SKIP
        (None, 3)
    """
    import keras

    members = list(models)
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least two models, got {len(members)}")
    shape = _common(members, "input shape", lambda m: tuple(m.input_shape[1:]))
    _common(members, "number of classes", model_num_classes)
    if model_image_size(members[0]) is None or None in shape:
        raise ValueError(f"the members need a fixed image input, got shape {shape}")
    facts = _common_facts(members)
    inputs = keras.Input(shape, dtype=members[0].inputs[0].dtype, name="image")
    outputs = [
        keras.Sequential([member], name=f"member_{i}")(inputs) for i, member in enumerate(members)
    ]  # a float32 layer casts its inputs: bfloat16 members are averaged in float32
    mean = keras.layers.Average(dtype="float32", name="mean_probabilities")(outputs)
    ensemble = keras.Model(inputs, mean, name=name)
    if facts is not None:
        described = {"ensemble_of": len(members), "members": [f.model for f in facts]}
        combined = dataclasses.replace(facts[0], model="", training=described, metrics={})
        setattr(ensemble, FACTS_ATTRIBUTE, combined)
    return ensemble


def _common(members: list[Any], what: str, value: Any) -> Any:
    """The value every member has for ``what``; a clear error when they differ."""
    values = [value(member) for member in members]
    if any(v != values[0] for v in values):
        raise ValueError(f"the members of an ensemble must share their {what}, got {values}")
    return values[0]


def _common_facts(members: list[Any]) -> list[ModelFacts] | None:
    """Every member's facts when they all have facts that agree; ``None`` when none has."""
    found = [model_facts(member) for member in members]
    facts = [f for f in found if f is not None]
    if not facts:
        return None
    if len(facts) < len(found):
        raise ValueError(
            "some members carry facts (class names, input size) and some do not: load "
            "them all with fv.load_model, or build them all alike"
        )
    for field in ("class_names", "image_size", "resize"):
        _common(facts, field.replace("_", " "), lambda f, field=field: getattr(f, field))
    return facts
