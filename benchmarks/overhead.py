"""Library overhead: ``fv.train`` with the foodvision pipeline vs a bare ``model.fit``.

Same run, same model (the study's step-2 ``deeper_cnn``), same images: the bare fit gets
the training split as in-memory NumPy arrays; ``fv.train`` gets the ``ImageData`` with its
cached tf.data pipeline and callbacks (and, in one variant, per-epoch checkpoints as the
study writes them). Two diagnostic variants split the difference: a bare ``fit`` on the
library's tf.data pipeline, and ``fv.train`` with its per-batch label check off (for data
from the loaders, which check labels once, that is the same code as ``fv.train``: an A/A
pair that shows the method's noise). Variants run in rotation (ABCABC...) so drift on the
machine hits them alike; each epoch after the first is timed, by the wall clock and by the
process's CPU time. The fastest epoch of each variant is the least disturbed estimate of
its own cost (on a shared VM epoch times can jump between two levels whatever runs); the
medians are printed too.

Example:
    python benchmarks/overhead.py --data synthetic --image-size 64 --epochs 4 --repeats 2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
import keras
import numpy as np
from _common import machine_info, markdown_table, save_json

import foodvision as fv


class _EpochClock(keras.callbacks.Callback):
    """Wall and CPU (user + system, all threads) seconds of every epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []

    @staticmethod
    def _cpu():
        times = os.times()
        return times.user + times.system

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._cpu_start = self._cpu()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        self.cpu_seconds.append(self._cpu() - self._cpu_start)


@contextlib.contextmanager
def _without_label_checks():
    """Diagnostic only: ``fv.train`` with its per-batch label check switched off."""
    from foodvision.training import fit

    original = fit._checked_labels
    fit._checked_labels = lambda dataset, num_classes: dataset
    try:
        yield
    finally:
        fit._checked_labels = original


def _model(num_classes, size, seed):
    keras.utils.set_random_seed(seed)
    model = fv.build_model("deeper_cnn", num_classes=num_classes, input_shape=(size, size, 3))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4, help="per repeat; the first is untimed")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results" / f"overhead_{keras.backend.backend()}.json"),
    )
    args = parser.parse_args()
    if args.epochs < 2 or args.repeats < 1:
        parser.error("--epochs must be >= 2 (the first is untimed) and --repeats >= 1")

    size = (args.image_size, args.image_size)
    data = fv.load_data(args.data, image_size=size, batch_size=args.batch_size, seed=args.seed)
    batches = list(data.train.as_numpy_iterator())
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])

    def bare(model, clock, _):
        model.fit(
            x,
            y,
            batch_size=args.batch_size,
            epochs=args.epochs,
            shuffle=True,
            validation_data=data.val,
            callbacks=[clock],
            verbose=0,
        )

    def bare_pipeline(model, clock, _):
        model.fit(
            data.train,
            epochs=args.epochs,
            validation_data=data.val,
            callbacks=[clock],
            verbose=0,
        )

    def library(model, clock, checkpoints):
        fv.train(
            model,
            data,
            args.epochs,
            callbacks=[clock],
            verbose=0,
            checkpoint_dir=checkpoints,
            seed=args.seed,
        )

    def library_unchecked(model, clock, checkpoints):
        with _without_label_checks():
            library(model, clock, checkpoints)

    variants = {
        "bare model.fit (NumPy arrays)": (bare, False),
        "bare model.fit (library tf.data pipeline)": (bare_pipeline, False),
        "fv.train (pipeline)": (library, False),
        "fv.train without label checks": (library_unchecked, False),
        "fv.train (pipeline + checkpoints)": (library, True),
    }
    seconds = {name: [] for name in variants}
    cpu_seconds = {name: [] for name in variants}
    for repeat in range(args.repeats):
        for name, (run, checkpoint) in variants.items():
            model = _model(data.num_classes, args.image_size, args.seed)
            clock = _EpochClock()
            with tempfile.TemporaryDirectory() as tmp:
                run(model, clock, Path(tmp) / "run" if checkpoint else None)
            seconds[name] += clock.seconds[1:]
            cpu_seconds[name] += clock.cpu_seconds[1:]
            print(f"repeat {repeat}: {name}: {[round(s, 2) for s in clock.seconds]}", flush=True)

    images = len(y)
    bare_times = seconds["bare model.fit (NumPy arrays)"]
    bare_median = statistics.median(bare_times)
    bare_cpu = statistics.median(cpu_seconds["bare model.fit (NumPy arrays)"])
    rows = []
    for name, values in seconds.items():
        cpu = statistics.median(cpu_seconds[name])
        rows.append(
            {
                "variant": name,
                "epoch_s_min": min(values),
                "epoch_s_median": statistics.median(values),
                "epoch_s_max": max(values),
                "cpu_s_median": cpu,
                "images_per_s_best": images / min(values),
                "vs_bare_best": f"{min(bare_times) / min(values):.3f}x",
                "vs_bare_median": f"{bare_median / statistics.median(values):.3f}x",
                "vs_bare_cpu_median": f"{bare_cpu / cpu:.3f}x",
            }
        )
    print(markdown_table(rows, list(rows[0])))
    payload = {
        "benchmark": "overhead",
        "settings": {**vars(args), "data": Path(args.data).name, "out": Path(args.out).name},
        "machine": machine_info(),
        "train_images": images,
        "epoch_seconds": seconds,
        "epoch_cpu_seconds": cpu_seconds,
        "rows": rows,
    }
    print(f"saved {save_json(args.out, payload)}")


if __name__ == "__main__":
    main()
