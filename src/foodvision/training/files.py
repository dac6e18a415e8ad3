"""Atomic file writes: a kill at any moment leaves either the old file or the new one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[str]:
    """Yield a temporary path next to ``path``; move it over ``path`` on success.

    The temporary file is flushed to disk before the rename, and removed if the block
    raises, so readers only ever see complete files.

    Args:
        path: Final location.
        suffix: Suffix of the temporary name (some writers insist on one, e.g.
            ``".keras"`` or ``".weights.h5"``).

    Example:
        >>> with atomic_path("runs/x/best.keras", suffix=".keras") as tmp:  # doctest: +SKIP
        ...     model.save(tmp)

    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent
    )
    os.close(handle)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_atomic(path: str | os.PathLike, write: Callable[[str], object], suffix: str = "") -> None:
    """Call ``write(tmp_path)`` and move the result over ``path`` atomically."""
    with atomic_path(path, suffix) as temporary:
        write(temporary)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically.

    Example:
        >>> write_text_atomic("runs/x/state.json", "{}")  # doctest: +SKIP

    """
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))
