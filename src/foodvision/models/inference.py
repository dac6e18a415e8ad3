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


def predict_batches(
    model: Any, batches: Iterable[Any], pad_to: int | None = None, progress: Any = None
) -> np.ndarray:
    """``model.predict_on_batch`` over every batch, concatenated as ``float32``.

    Args:
        model: A Keras model (anything with ``predict_on_batch``).
        batches: Input batches, in order.
        pad_to: Pad every smaller batch to this many rows (copies of its last row,
            whose outputs are dropped), so a compiled model sees one batch shape (and
            the devices of a data-parallel model an even share).
        progress: A :class:`~foodvision.base.log.Progress` told of every batch's images.

    Raises:
        ValueError: ``batches`` is empty.
    """
    outputs = []
    for batch in batches:
        outputs.append(_predict_padded(model, np.asarray(batch), pad_to))
        if progress is not None:
            progress.add(len(outputs[-1]))
    if not outputs:
        raise ValueError("no batches to predict")
    return np.concatenate(outputs)


def _predict_padded(model: Any, batch: np.ndarray, pad_to: int | None) -> np.ndarray:
    count = len(batch)
    if pad_to is not None and 0 < count < pad_to:
        batch = np.concatenate([batch, np.repeat(batch[-1:], pad_to - count, axis=0)])
    return np.asarray(model.predict_on_batch(batch), dtype=np.float32)[:count]


def predict_arrays(
    model: Any, inputs: np.ndarray, batch_size: int = 64, progress: Any = None
) -> np.ndarray:
    """``model`` over an in-memory array, ``batch_size`` rows per call, as ``float32``.

    Every call gets ``batch_size`` rows (a smaller last one is padded), so the model is
    compiled for one shape; ``progress`` (a :class:`~foodvision.base.log.Progress`) is
    told of each batch.
    """
    size = max(1, batch_size)
    steps = range(0, len(inputs), size)
    pad_to = min(size, len(inputs))
    batches = (inputs[i : i + size] for i in steps)
    return predict_batches(model, batches, pad_to=pad_to, progress=progress)
