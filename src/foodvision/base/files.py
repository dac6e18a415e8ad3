"""Atomic file writes: a kill at any moment leaves either the old file or the new one."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_TEMPORARY_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp")
"""Names made by :func:`atomic_path`: ``.<target>.<8 random chars>.tmp<suffix>``."""


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
    )  # a name that remove_temporaries recognises
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


def write_npz_atomic(path: str | os.PathLike, arrays: dict) -> None:
    """Write ``arrays`` to the ``.npz`` file ``path`` atomically."""
    import io

    import numpy as np

    def write(tmp: str) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        Path(tmp).write_bytes(buffer.getvalue())

    write_atomic(path, write)


def remove_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that killed writers left in ``directory``.

    A process killed inside :func:`atomic_path` never reaches its clean-up, so its
    temporary file stays beside the target. Only names made by :func:`atomic_path` are
    removed; call this when no other process writes to ``directory``.

    Returns:
        The removed paths.

    Example:
        >>> remove_temporaries("runs/x/backup")  # doctest: +SKIP
        [PosixPath('runs/x/backup/.latest.json.k2j4_x9a.tmp')]

    """
    folder = Path(directory)
    if not folder.is_dir():
        return []
    removed = [p for p in folder.iterdir() if _TEMPORARY_NAME.match(p.name) and p.is_file()]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
