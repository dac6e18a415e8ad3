"""Inference speed of a frozen backbone against the number of images per call.

Fine-tuning with cached features runs the frozen base once over every image; this
measures how fast that pass is for each batch size, on the backend of this process
(``KERAS_BACKEND``, else the library's ``auto`` choice), with random weights and random
0..255 images (speed does not depend on either). ``fv.fine_tune`` picks its pass batch
size from this measurement (see ``foodvision.training.feature_cache.prefix_batch_size``).

Example:
    python benchmarks/prefix_batch.py --model vgg16_finetune --image-size 224
    KERAS_BACKEND=tensorflow python benchmarks/prefix_batch.py
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
import keras
import numpy as np
from _common import machine_info, markdown_table, save_json

import foodvision as fv


def images_per_second(prefix, images: np.ndarray, batch: int, repeats: int) -> list[float]:
    """Images/s of ``prefix`` over ``images`` in calls of ``batch`` images, per repeat."""
    prefix.predict_on_batch(images[:batch])  # compile this shape once
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for i in range(0, len(images) - batch + 1, batch):
            prefix.predict_on_batch(images[i : i + batch])
        rates.append((len(images) // batch) * batch / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vgg16_finetune")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--images", type=int, default=64, help="images per timed pass")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="JSON file (default: results/...)")
    args = parser.parse_args()

    size = args.image_size
    model = fv.build_model(args.model, num_classes=5, input_shape=(size, size, 3), weights=None)
    prefix, _ = fv.split_at(model, fv.frozen_boundary(model) or fv.block_boundaries(model)[-1])
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (args.images, size, size, 3)).astype(np.float32)
    rows = []
    for batch in args.batch_sizes:
        rates = images_per_second(prefix, images, batch, args.repeats)
        rows.append(
            {
                "batch_size": batch,
                "images_per_s_median": round(statistics.median(rates), 2),
                "images_per_s_min": round(min(rates), 2),
                "images_per_s_max": round(max(rates), 2),
            }
        )
        print(rows[-1], flush=True)
    best = max(rows, key=lambda r: r["images_per_s_median"])
    for row in rows:
        row["vs_best"] = round(row["images_per_s_median"] / best["images_per_s_median"], 2)
    backend = keras.backend.backend()
    out = args.out or Path(__file__).parent / "results" / f"prefix_batch_{backend}.json"
    save_json(
        out,
        {
            "benchmark": "prefix_batch",
            "settings": {k: v for k, v in vars(args).items() if k != "out"},
            "prefix": f"{args.model} up to {prefix.layers[-1].name}",
            "machine": machine_info(),
            "rows": rows,
        },
    )
    print(markdown_table(rows, list(rows[0])))


if __name__ == "__main__":
    main()
