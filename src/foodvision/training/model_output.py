"""The model a training run leaves behind: ``model.keras``, self-describing, and its card.

Example:
    >>> write_run_model(model, data, "runs/x", training={"epochs": 5})  # doctest: +SKIP
    PosixPath('runs/x/model.keras')
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from foodvision.base.log import get_logger
from foodvision.models.model_file import ModelFacts, describe_model, save_model
from foodvision.training.processes import is_chief

MODEL_FILE = "model.keras"
"""Name of the whole, self-describing model a run writes into its folder."""


def data_facts(data: Any) -> dict[str, Any]:
    """Where ``data`` came from and how many images each split had (for the model card)."""
    facts: dict[str, Any] = {"source": getattr(data, "source", "") or "in-memory arrays"}
    for split in ("train", "val", "test"):
        count = data.num_images(split)
        if count:
            facts[f"{split}_images"] = count
    return facts


def run_facts(
    model: Any,
    data: Any,
    *,
    training: Mapping[str, Any],
    metrics: Mapping[str, Any] | None = None,
) -> ModelFacts:
    """The :class:`~foodvision.models.model_file.ModelFacts` of a model trained on ``data``."""
    return describe_model(
        model,
        data.class_names,
        resize=getattr(data, "resize", "stretch"),
        trained_on=data_facts(data),
        training=training,
        metrics=metrics,
    )


def write_run_model(
    model: Any,
    data: Any,
    directory: str | os.PathLike,
    *,
    training: Mapping[str, Any],
    metrics: Mapping[str, Any] | None = None,
) -> Path | None:
    """Save ``model`` as ``<directory>/model.keras`` with its facts, and its card.

    In a run of several processes every process takes part in the save (Keras saves
    collectively), but only the chief's file is kept.

    Returns:
        The path of the model file, or ``None`` when the model has no fixed input size
        to record (a warning says so; the run's other files are kept).
    """
    try:
        facts = run_facts(model, data, training=training, metrics=metrics)
    except ValueError as err:
        get_logger(__name__).warning("no %s written: %s", MODEL_FILE, err)
        return None
    target = Path(directory) / MODEL_FILE
    if is_chief():
        return save_model(model, target, facts)
    with tempfile.TemporaryDirectory() as scratch:
        save_model(model, Path(scratch) / MODEL_FILE, facts, card=False)
    return target
