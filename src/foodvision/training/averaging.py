"""Weight averaging over the last epochs of a run (stochastic weight averaging).

At a constant learning rate the weights keep moving around a good region, and the
validation accuracy of single epochs swings with them; the mean of the weights at the
ends of the last epochs sits nearer the middle of that region and usually generalises
at least as well as the best single epoch (Izmailov et al., 2018, "Averaging Weights
Leads to Wider Optima and Better Generalization"). Layers whose statistics come from
the data (batch normalisation in training mode) would need those statistics
recomputed for the averaged weights; the frozen batch-norm layers of foodvision's
transfer models run in inference mode and are averaged like any weight (unchanged).

With a checkpoint directory the running sum is kept in ``average.npz`` after every
epoch, so a resumed run averages exactly the epochs an uninterrupted one would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np

from foodvision.base.checks import check_int
from foodvision.base.files import write_npz_atomic
from foodvision.training import state
from foodvision.training.processes import is_chief


class WeightAverage(keras.callbacks.Callback):
    """Average the model's weights at the ends of epochs ``first_epoch`` ... ``last``.

    Add it to a run's callbacks (after the library's own, which
    :func:`foodvision.train` puts first), then call :meth:`apply` when the run has
    ended to give the model the averaged weights.

    Args:
        first_epoch: First epoch (1-based) whose end-of-epoch weights are averaged.
        directory: The run's checkpoint directory (``None``: keep the sum in memory).

    Example:
        >>> average = fv.WeightAverage(first_epoch=6, directory="runs/vgg16/finetune")
        >>> history = fv.train(model, data, 15, callbacks=[average],
        ...                    checkpoint_dir="runs/vgg16/finetune")  # doctest: +SKIP
        >>> average.apply(model)  # doctest: +SKIP
        10
    """

    def __init__(self, first_epoch: int, directory: str | Path | None = None) -> None:
        super().__init__()
        self.first_epoch = check_int("first_epoch", first_epoch, 1)
        self.directory = Path(directory) if directory is not None else None
        self.epochs: list[int] = []
        self.total: list[np.ndarray] | None = None
        self._loaded = False

    def _load(self) -> None:
        """Read the saved average as the run left it (a run that starts over has none).

        Called when training begins, after :func:`foodvision.train` has restored or
        reset the directory, or by :meth:`apply` when no training ran.
        """
        self._loaded = True
        path = self._path()
        if path is None:
            return  # the sum lives in memory
        self.epochs, self.total = [], None
        if not path.exists():
            return
        with np.load(path) as arrays:
            self.epochs = [int(e) for e in arrays["epochs"]]
            self.total = [arrays[f"w{i}"] for i in range(len(arrays.files) - 1)]
        if self.epochs and self.epochs[0] != self.first_epoch:
            raise ValueError(
                f"the weight average in {path} starts at epoch {self.epochs[0]}, not at "
                f"first_epoch={self.first_epoch}; start the run over (resume=False)"
            )

    def _path(self) -> Path | None:
        return self.directory / state.AVERAGE_FILE if self.directory is not None else None

    def _add(self, model: Any, epoch: int) -> None:
        weights = model.get_weights()
        if self.total is None:
            self.total = [np.asarray(w, np.float64) for w in weights]
        else:
            if len(weights) != len(self.total):
                raise ValueError(
                    f"{self._path()} holds an average of {len(self.total)} weights but the "
                    f"model has {len(weights)}; use another checkpoint directory"
                )
            for total, w in zip(self.total, weights):
                total += w
        self.epochs.append(epoch)
        path = self._path()
        if path is not None and is_chief():  # one process of a multi-process run writes
            arrays = {f"w{i}": t for i, t in enumerate(self.total)}
            write_npz_atomic(path, {"epochs": np.asarray(self.epochs, np.int64), **arrays})

    def _committed_epochs(self) -> int | None:
        """Epochs the checkpoint directory has committed (``None`` without one)."""
        if self.directory is None:
            return None
        latest = self.directory / state.BACKUP_DIR / state.LATEST_FILE
        return int(json.loads(latest.read_text())["epoch"]) if latest.exists() else 0

    def _catch_up(self, model: Any) -> None:
        """Add the restored weights of a committed epoch whose average was not saved.

        A run killed after committing epoch ``E`` but before saving the average resumes
        with the weights of epoch ``E`` in the model: exactly what was missing.
        """
        committed = self._committed_epochs()
        if committed is None or committed < self.first_epoch or committed in self.epochs:
            return
        expected = self.epochs[-1] + 1 if self.epochs else self.first_epoch
        if committed != expected:
            raise ValueError(
                f"the weight average in {self._path()} covers epochs {self.epochs} but the "
                f"run has committed {committed}; start the run over (resume=False)"
            )
        self._add(model, committed)

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Load the saved average and reconcile it with the run's committed epochs."""
        self._load()
        self._catch_up(self.model)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Add the weights at the end of a 1-based epoch ``>= first_epoch``.

        With a directory, only an epoch the checkpoint has committed counts (never the
        weights of a diverged epoch, which :func:`foodvision.train` does not save).
        """
        done = epoch + 1
        if done < self.first_epoch or done in self.epochs:
            return
        # the other processes of a multi-process run follow the chief's epochs
        if self.directory is None or not is_chief() or self._committed_epochs() == done:
            self._add(self.model, done)

    def apply(self, model: Any) -> int:
        """Give ``model`` the averaged weights; return how many epochs were averaged.

        Leaves the model as it is (and returns 0) when no epoch reached ``first_epoch``.
        """
        if not self._loaded:  # a finished run, called again: no training began
            self._load()
        self._catch_up(model)
        if not self.epochs or self.total is None:
            return 0
        count = len(self.epochs)
        model.set_weights(
            [(t / count).astype(w.dtype) for t, w in zip(self.total, model.get_weights())]
        )
        return count
