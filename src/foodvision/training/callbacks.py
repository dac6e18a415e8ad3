"""Callbacks used by :func:`foodvision.train`: NaN guard, resumable state, early stopping."""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import keras

from foodvision.training import state


class NaNGuard(keras.callbacks.Callback):
    """Stop training after the first epoch whose loss is NaN or infinite, and say which.

    After ``fit`` returns, :attr:`failure` is ``(epoch, loss)`` or ``None``.

    The check runs at the end of each epoch, on the epoch's mean loss (NaN or infinite
    when any batch's loss was): a batch hook would read every batch's loss back from
    the device, and a callback with a batch hook turns off Keras's asynchronous dispatch
    for the whole ``fit``. It must run before :class:`TrainingState`, which never saves
    an epoch the guard rejected.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failure: tuple[int, float] | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Stop at a non-finite loss."""
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.failure = (epoch, float(loss))
            self.model.stop_training = True


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` whose counters survive a resumed run."""

    def __init__(
        self, *args: Any, restored: dict | None = None, best_file: Path | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._restored = restored
        self._best_file = best_file

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Reset as Keras does, then put back the counters of the interrupted run."""
        super().on_train_begin(logs)
        if not self._restored:
            return
        self.wait = int(self._restored["wait"])
        self.best = float(self._restored["best"])
        self.best_epoch = int(self._restored["best_epoch"])
        if self.restore_best_weights and self._best_file and self._best_file.exists():
            best = keras.saving.load_model(self._best_file, compile=False, safe_mode=True)
            self.best_weights = best.get_weights()

    def snapshot(self) -> dict:
        """Counters to save with the training state."""
        best = float(self.best) if self.best is not None else math.inf
        return {"wait": self.wait, "best": best, "best_epoch": self.best_epoch}


class TrainingState(keras.callbacks.Callback):
    """Keep a checkpoint directory current after every epoch (see :mod:`.state`).

    Writes, in this order, the best model into the backup (when the monitored value
    improved), the history, the model and optimizer state, the pointer to that state
    and best model, and last ``best.keras`` from the backup, each atomically. With
    ``write=False`` (the other processes of a multi-process run) it goes through the
    same saves into a temporary folder, removed when training ends: saving a model whose
    variables span several processes is a collective operation that every process must
    join, but only process 0 writes the run's folder.
    """

    def __init__(
        self,
        directory: Path,
        rows: list[dict],
        monitor: str,
        mode: str,
        best: float | None,
        guard: NaNGuard,
        early_stopping: ResumableEarlyStopping | None,
        write: bool = True,
    ) -> None:
        super().__init__()
        self.shadow = None if write else Path(tempfile.mkdtemp(prefix="foodvision-process-"))
        self.directory = directory if write else self.shadow
        self.rows = rows
        self.monitor = monitor
        self.mode = mode
        self.best = best
        self.guard = guard
        self.early_stopping = early_stopping

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Persist the finished epoch."""
        if self.guard.failure is not None:
            return  # never persist the state of a diverged run
        logs = dict(logs or {})
        row = {"epoch": epoch, **{k: float(v) for k, v in logs.items()}}
        row.setdefault("learning_rate", current_learning_rate(self.model))
        self.rows.append(row)
        value = logs.get(self.monitor)
        extra: dict[str, Any] = {}
        if value is not None and math.isfinite(float(value)) and self._improved(float(value)):
            self.best = float(value)
            extra["best_file"] = state.save_best(self.directory, self.model, epoch + 1)
        state.write_history(self.directory, self.rows)
        extra.update(best=self.best, monitor=self.monitor)
        if self.early_stopping is not None:
            extra["early_stopping"] = self.early_stopping.snapshot()
        state.save_state(self.directory, self.model, epoch + 1, extra)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Remove the temporary folder of a process that does not write."""
        if self.shadow is not None:
            shutil.rmtree(self.shadow, ignore_errors=True)


def current_learning_rate(model: Any) -> float:
    """Return the learning rate now (a schedule is evaluated at the current step)."""
    rate = model.optimizer.learning_rate
    return float(keras.ops.convert_to_numpy(rate))


class EpochTimer(keras.callbacks.Callback):
    """Record the wall time of every epoch (validation included)."""

    def __init__(self, seconds: list[float]) -> None:
        super().__init__()
        self.seconds = seconds

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Start the clock."""
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Stop the clock."""
        self.seconds.append(time.perf_counter() - self._start)
