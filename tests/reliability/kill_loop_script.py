"""Train a tiny model with a checkpoint dir and log what it does; maybe SIGKILL itself.

Usage: python kill_loop_script.py CHECKPOINT_DIR EPOCHS EVENT_LOG

Appends one line per event to EVENT_LOG (``<pid> <event> [<detail>]``): ``start``,
``begin <epoch>``, ``end <epoch>``, ``write <file>`` (a checkpoint file is being
written), ``wrote <file>`` (it was moved into place) and ``done``.

With ``FOODVISION_KILL_AT=<moment>:<file>:<n>`` the process SIGKILLs itself on the n-th
atomic write of ``<file>`` (``backup-best.keras`` for ``backup/best-<epoch>.keras``,
``history.csv``, ``state.npz`` for ``backup/state-<epoch>.npz``, ``latest.json``,
``best.keras`` or ``run.json``). ``<moment>`` is ``torn`` (the temporary file is
half-written, before the rename), ``before-rename`` (complete but not yet renamed) or
``after-rename`` (in place, before the next file of the checkpoint is written). Run by
``test_kill_loop.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import keras
from harness import tiny_image_data, tiny_model

import foodvision as fv
from foodvision.base import files

MOMENTS = ("torn", "before-rename", "after-rename")


class EventLog:
    """Append-only event lines, flushed at once so that a SIGKILL loses none."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, event: str, detail: object = "") -> None:
        """Append ``<pid> <event> <detail>``."""
        with self.path.open("a") as handle:
            handle.write(f"{os.getpid()} {event} {detail}".rstrip() + "\n")


def file_kind(path: str | os.PathLike) -> str:
    """``state.npz``/``backup-best.keras`` for the per-epoch backup files, else the name."""
    name = Path(path).name
    if name.startswith("state-"):
        return "state.npz"
    return "backup-best.keras" if name.startswith("best-") else name


def parse_kill_spec(spec: str | None) -> tuple[str, str, int] | None:
    """``"torn:history.csv:2"`` -> ``("torn", "history.csv", 2)``; ``None`` when unset."""
    if not spec:
        return None
    moment, kind, count = spec.split(":")
    if moment not in MOMENTS:
        raise ValueError(f"unknown kill moment {moment!r}; choose one of {MOMENTS}")
    return moment, kind, int(count)


def install_write_hook(log: EventLog, kill: tuple[str, str, int] | None) -> None:
    """Wrap ``files.atomic_path`` (used by every checkpoint write) to log and maybe kill."""
    original = files.atomic_path
    seen: Counter[str] = Counter()

    def die_if(moment: str, kind: str, temporary: str | None = None) -> None:
        if kill is None or (moment, kind, seen[kind]) != kill:
            return
        # a hard link (best.keras published from the backup) is made whole: nothing to tear
        if moment == "torn" and temporary is not None and os.stat(temporary).st_nlink == 1:
            os.truncate(temporary, os.path.getsize(temporary) // 2)
        log("killed", f"{moment}:{kind}:{seen[kind]}")
        os.kill(os.getpid(), signal.SIGKILL)

    @contextlib.contextmanager
    def hooked(path: str | os.PathLike, suffix: str = "") -> Iterator[str]:
        kind = file_kind(path)
        seen[kind] += 1
        log("write", Path(path).name)
        with original(path, suffix) as temporary:
            yield temporary
            die_if("torn", kind, temporary)
            die_if("before-rename", kind)
        log("wrote", Path(path).name)
        die_if("after-rename", kind)

    files.atomic_path = hooked


class EpochLog(keras.callbacks.Callback):
    """Log the start and end of every epoch."""

    def __init__(self, log: EventLog) -> None:
        super().__init__()
        self.log = log

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Log ``begin <epoch>``."""
        self.log("begin", epoch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Log ``end <epoch>``."""
        self.log("end", epoch)


def main(directory: Path, epochs: int, log_path: Path) -> None:
    """Train (or resume) the tiny run in ``directory``."""
    log = EventLog(log_path)
    log("start")
    install_write_hook(log, parse_kill_spec(os.environ.get("FOODVISION_KILL_AT")))
    fv.train(
        tiny_model(dropout=0.2),
        tiny_image_data(),
        epochs=epochs,
        checkpoint_dir=directory,
        seed=0,
        callbacks=[EpochLog(log)],
        verbose=0,
    )
    log("done")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
