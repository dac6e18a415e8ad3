"""The ``foodvision`` logger and the progress of long passes, on stderr by default.

Every module logs through ``logging.getLogger(__name__)`` (children of ``"foodvision"``).
The first call of :func:`library_logger` gives the ``foodvision`` logger a plain stderr
handler at INFO level, unless the application configured one, so progress shows without
any setup; :func:`set_verbosity` changes the level (the command's ``-q`` and ``-v``).
That logger does not pass records on to the root logger; an application that routes
logging itself removes the handler and sets ``logging.getLogger("foodvision").propagate``.

:class:`Progress` reports a long pass (file checks, feature passes, evaluation,
prediction) with the count, items/s and the time left: on a terminal, one line on stderr
rewritten in place; elsewhere (logs, CI) one line to the logger every ``interval``
seconds, and one when the pass ends. stdout stays free for results (``--format json``).
Nothing is shown below INFO level (``-q``) or for passes of fewer than ``min_total``
items.

Example:
    >>> set_verbosity("warning")  # only warnings and errors from now on
    >>> library_logger().level == logging.WARNING
    True
    >>> set_verbosity("info")
"""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import Any

LOGGER_NAME = "foodvision"


class FoodvisionWarning(UserWarning):
    """The category of foodvision's warnings (skipped files, unreadable facts...).

    A ``UserWarning``, so the usual filters apply; filter on it to silence or catch only
    this package's warnings.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", UserWarning)  # others' quiet
        ...     warnings.simplefilter("error", FoodvisionWarning)  # ours raise: added last
        ...     warnings.warn("skipped 1 of 9 image files", FoodvisionWarning)
        Traceback (most recent call last):
        ...
        foodvision.base.log.FoodvisionWarning: skipped 1 of 9 image files
    """


LEVELS = {
    "quiet": logging.WARNING,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
}
"""Names :func:`set_verbosity` accepts."""

_HANDLER: list[logging.Handler] = []


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def library_logger() -> logging.Logger:
    """The ``foodvision`` logger, with its default stderr handler on first use."""
    logger = logging.getLogger(LOGGER_NAME)
    if not _HANDLER and not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
        logger.propagate = False  # no second copy through a root handler
        _HANDLER.append(handler)
    return logger


def set_verbosity(level: str | int) -> None:
    """Set the level of foodvision's messages: ``"quiet"``, ``"info"``, ``"debug"`` or a number.

    Raises:
        ValueError: An unknown level name.
    """
    if isinstance(level, str):
        if level not in LEVELS:
            raise ValueError(f"unknown verbosity {level!r}; choose one of {', '.join(LEVELS)}")
        level = LEVELS[level]
    library_logger().setLevel(level)


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` for a foodvision module, the library's handler set up.

    Example:
        >>> get_logger("foodvision.training.fit").name
        'foodvision.training.fit'
    """
    library_logger()
    return logging.getLogger(name)


class Progress:
    """Count items of one pass and show how fast it goes and how long is left.

    Args:
        label: What the pass does, e.g. ``"checking 2500 files"``.
        total: Items expected, or ``None`` when unknown.
        unit: Plural name of the items.
        interval: Seconds between two log lines outside a terminal.
        min_total: Show nothing for passes with fewer items.
        enabled: ``False`` shows nothing (a pass known to be short).

    ``total`` may be set after the start, e.g. once the first batch tells the batch size.
    """

    def __init__(
        self,
        label: str,
        total: int | None,
        unit: str = "images",
        *,
        interval: float = 10.0,
        min_total: int = 1,
        enabled: bool = True,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.interval = interval
        self.min_total = min_total
        self.done = 0
        self._start = time.perf_counter()
        self._last = self._start
        self._logger = library_logger()
        self._wanted = enabled and self._logger.isEnabledFor(logging.INFO)
        self._live: bool | None = None  # a terminal: one line rewritten in place

    @property
    def enabled(self) -> bool:
        """Whether the pass is shown (INFO level, not known to be short)."""
        return self._wanted and (self.total is None or self.total >= self.min_total)

    @property
    def rate(self) -> float:
        """Items per second so far."""
        elapsed = time.perf_counter() - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def add(self, count: int) -> None:
        """Record ``count`` more finished items."""
        self.done += int(count)
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._live is None:
            self._live = _is_terminal()
        if self._live:
            if now - self._last >= 0.2:
                self._last = now
                sys.stderr.write(f"\r{self.label}: {self._status()}\x1b[K")
                sys.stderr.flush()
        elif now - self._last >= self.interval:
            self._last = now
            self._logger.info("%s: %s", self.label, self._status())

    def _status(self) -> str:
        rate = self.rate
        text = f"{self.done}" + (f"/{self.total}" if self.total else "") + f" {self.unit}"
        text += f", {_rate(rate)} {self.unit}/s"
        if self.total and rate > 0:
            text += f", {max(0.0, (self.total - self.done) / rate):.0f} s left"
        return text

    def close(self) -> None:
        """End the pass: a last line with the count, time and rate."""
        if not self.enabled or not self.done:
            return
        elapsed = time.perf_counter() - self._start
        if self._live:
            sys.stderr.write("\r\x1b[K")  # the summary line below replaces the live one
        self._logger.info(
            "%s: %d %s in %.1f s (%s %s/s)",
            self.label,
            self.done,
            self.unit,
            elapsed,
            _rate(self.rate),
            self.unit,
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()


def _is_terminal() -> bool:
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def _rate(rate: float) -> str:
    """A rate with one decimal below 10 per second, none above."""
    return f"{rate:.1f}" if rate < 10 else f"{rate:.0f}"
