"""Per-epoch training values from whatever holds them: a ``History``, a dict or a CSV."""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from foodvision.base.log import FoodvisionWarning


def history_dict(history: Any) -> dict[str, list[float]]:
    """Per-epoch values from a ``keras.callbacks.History``, its ``.history`` dict or a CSV.

    Args:
        history: A ``History``, a ``{"loss": [...], "val_loss": [...], ...}`` dict, or the
            path of a ``history.csv`` (one row per epoch, as ``keras.callbacks.CSVLogger``
            and ``fv.train`` write it). ``None`` gives ``{}``.

    Raises:
        ValueError: If ``history`` is none of these.

    Example:
        >>> history_dict({"loss": [1.0, 0.5]})
        {'loss': [1.0, 0.5]}

    """
    if history is None:
        return {}
    if hasattr(history, "history") and isinstance(history.history, Mapping):
        history = history.history
    if isinstance(history, (str, os.PathLike)):
        with open(history, newline="") as handle:
            rows = list(csv.DictReader(handle))
        keys = [k for k in (rows[0].keys() if rows else []) if k != "epoch"]
        history = {
            k: [float(row[k]) if row[k] not in ("", None) else np.nan for row in rows] for k in keys
        }
    if not isinstance(history, Mapping):
        raise ValueError(
            f"history must be a keras.callbacks.History, its .history dict or a history.csv "
            f"path, got {type(history).__name__}"
        )
    result = {}
    dropped = []
    for key, values in history.items():
        try:
            result[str(key)] = [float(v) for v in np.asarray(values, dtype="float64").ravel()]
        except (TypeError, ValueError):
            dropped.append(str(key))
    if dropped:
        warnings.warn(
            f"history entries {', '.join(map(repr, dropped))} are not numbers per epoch; "
            "they are left out of the training curves",
            category=FoodvisionWarning,
            stacklevel=2,
        )
    return result
