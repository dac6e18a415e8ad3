"""Argument checks shared by the whole package, with one wording for every message.

Each check returns the value it accepted (as a plain Python number) or raises a
``ValueError`` that names the argument, says what it must be and shows what it got.

Example:
    >>> check_int("epochs", 3, 1)
    3
    >>> check_int("epochs", 0, 1)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer >= 1, got 0
    >>> check_fraction("validation_split", 0.2)
    0.2
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Sequence
from typing import Any


def _is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an ``int`` when it is an integer (not a bool) in ``low..high``.

    Args:
        name: The argument's name, for the message.
        value: What was passed (numpy integers are accepted).
        low: Smallest allowed value.
        high: Largest allowed value (``None``: no limit).

    Raises:
        ValueError: ``"<name> must be an integer >= 1, got 0"`` (or "an integer in
            a..b" when there is a ``high``).

    Example:
        >>> check_int("depth", 9, 1, 8)
        Traceback (most recent call last):
        ...
        ValueError: depth must be an integer in 1..8, got 9
    """
    ok = _is_integer(value) and value >= low and (high is None or value <= high)
    if not ok:
        bound = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}")
    return int(value)


def check_optional_int(name: str, value: Any, low: int) -> int | None:
    """:func:`check_int` that also accepts ``None`` (returned as is).

    Example:
        >>> check_optional_int("early_stopping", None, 1) is None
        True
    """
    return None if value is None else check_int(name, value, low)


def _check_unit_interval(name: str, value: Any, noun: str) -> float:
    if not _is_number(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must be {noun} in [0, 1), got {value!r}")
    return float(value)


def check_fraction(name: str, value: Any) -> float:
    """``value`` as a ``float`` when it is a fraction in [0, 1) (a split's share).

    Example:
        >>> check_fraction("test_split", 1.5)
        Traceback (most recent call last):
        ...
        ValueError: test_split must be a fraction in [0, 1), got 1.5
    """
    return _check_unit_interval(name, value, "a fraction")


def check_rate(name: str, value: Any) -> float:
    """``value`` as a ``float`` when it is a rate in [0, 1) (dropout, say).

    Example:
        >>> check_rate("dropout", 0.5)
        0.5
    """
    return _check_unit_interval(name, value, "a number")


def check_factor(name: str, value: Any) -> float:
    """``value`` as a ``float`` when it is a factor in (0, 1] (a rate decay, say).

    Example:
        >>> check_factor("finetune_rate_decay", 0)
        Traceback (most recent call last):
        ...
        ValueError: finetune_rate_decay must be a number in (0, 1], got 0
    """
    if not _is_number(value) or not 0 < value <= 1:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    return float(value)


def check_positive(name: str, value: Any) -> float:
    """``value`` as a ``float`` when it is a finite number above 0 (a learning rate, say).

    Example:
        >>> check_positive("learning_rate", 0)
        Traceback (most recent call last):
        ...
        ValueError: learning_rate must be a number > 0, got 0
    """
    if not _is_number(value) or not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return float(value)


def check_bool(name: str, value: Any) -> bool:
    """``value`` when it is ``True`` or ``False`` (not a truthy number or string).

    Example:
        >>> check_bool("batch_norm", 1)
        Traceback (most recent call last):
        ...
        ValueError: batch_norm must be True or False, got 1
    """
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` when it is one of ``choices``; the message lists them.

    Example:
        >>> check_choice("pooling", "max", ("flatten", "avg"))
        Traceback (most recent call last):
        ...
        ValueError: pooling must be one of flatten, avg, got 'max'
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}, got {value!r}")
    return value


def unknown_name_message(kind: str, name: str, available: Sequence[str]) -> str:
    """Error text for a name that is not among ``available``, with the closest match.

    Example:
        >>> unknown_name_message("class", "pizzza", ["pizza", "sushi"])
        "unknown class 'pizzza'; did you mean 'pizza'? Available: pizza, sushi"
    """
    close = difflib.get_close_matches(name, list(available), n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ";"
    shown = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
    return f"unknown {kind} {name!r}{hint} Available: {shown}"
