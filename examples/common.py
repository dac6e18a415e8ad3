"""Command-line options shared by the example scripts.

Importing this module picks the Keras backend before Keras is imported, as the
``foodvision`` command does: ``KERAS_BACKEND`` when set, else ``auto`` (JAX on a GPU or
TPU, TensorFlow on a CPU-only machine).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import foodvision as fv  # noqa: E402  (imports no Keras)

_BACKEND = fv.choose_backend(None)  # KERAS_BACKEND, else "auto"
os.environ["KERAS_BACKEND"] = _BACKEND.name  # before Keras is imported
print(f"[example] {_BACKEND.describe()}")


def parse_args(
    description: str,
    *,
    epochs: int,
    image_size: int,
    out: str,
    parents: tuple[argparse.ArgumentParser, ...] = (),
) -> argparse.Namespace:
    """Parse ``--data``, ``--out``, ``--epochs``, ``--image-size``, ``--seed`` and ``parents``."""
    parser = argparse.ArgumentParser(
        description=description.strip().splitlines()[0], parents=list(parents)
    )
    parser.add_argument(
        "--data",
        default="synthetic",
        help="'synthetic' (built-in), 'food101', or a class-per-folder / Food-101 folder",
    )
    parser.add_argument("--out", type=Path, default=Path(out), help="output folder")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--image-size", type=int, default=image_size)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def load(args: argparse.Namespace) -> fv.ImageData:
    """The dataset named by ``--data``, at ``--image-size``."""
    return fv.load_data(args.data, image_size=(args.image_size, args.image_size), seed=args.seed)


def save_report(model: Any, data: fv.ImageData, history: Any, out: Path, **options: Any) -> None:
    """Evaluate ``model`` on the test split, write ``out``/report and print the accuracy."""
    report = fv.evaluate(
        model, data.test, data.class_names, history=history, files=data.files.get("test"), **options
    )
    page = report.save(out / "report")
    print(f"test accuracy {report.accuracy:.1%}; report: {page}")
