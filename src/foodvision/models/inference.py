"""Run a model over many images in batches and gather the outputs in one array.

Example:
    >>> import numpy as np
    >>> class Double:
    ...     def predict_on_batch(self, x):
    ...         return 2 * x
    >>> predict_arrays(Double(), np.arange(5.0), batch_size=2).tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def predict_batches(model: Any, batches: Iterable[Any]) -> np.ndarray:
    """``model.predict_on_batch`` over every batch, concatenated as ``float32``.

    Args:
        model: A Keras model (anything with ``predict_on_batch``).
        batches: Input batches, in order.

    Raises:
        ValueError: ``batches`` is empty.
    """
    outputs = [np.asarray(model.predict_on_batch(batch), dtype=np.float32) for batch in batches]
    if not outputs:
        raise ValueError("no batches to predict")
    return np.concatenate(outputs)


def predict_arrays(model: Any, inputs: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """``model`` over an in-memory array, ``batch_size`` rows per call, as ``float32``."""
    steps = range(0, len(inputs), max(1, batch_size))
    return predict_batches(model, (inputs[i : i + batch_size] for i in steps))
