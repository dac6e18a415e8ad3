"""Values made JSON-safe: what ``json.dumps`` writes, and reads back the same.

Example:
    >>> import numpy as np
    >>> json_safe({1: np.float32(0.5), "x": (np.int64(2), float("nan"))})
    {'1': 0.5, 'x': [2, None]}
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np


def json_safe(value: Any) -> Any:
    """A copy of ``value`` made of ``dict``, ``list``, ``str``, numbers, bools and ``None``.

    Mappings get string keys; tuples, sets and arrays become lists; numpy scalars become
    Python numbers; NaN and infinities become ``None`` (JSON has no such numbers); paths
    and any other object become their ``str``.

    Example:
        >>> json_safe([np.bool_(True), np.arange(2)])
        [True, [0, 1]]
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)
