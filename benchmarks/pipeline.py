"""Images/s of the foodvision input pipeline against image_dataset_from_directory and PIL.

All three read the same files (every image of a class-per-folder tree, e.g. the
``images/`` folder of a Food-101 layout) at the same size and batch size, in one run:

- ``foodvision``: ``load_image_folder`` (parallel TF decode, resize, cache, prefetch);
  the one-time file check, the first epoch (decode + fill the cache), a cached epoch,
  a cached epoch with the "standard" augmentation, and an uncached (streaming) epoch;
- ``keras_idfd``: ``keras.utils.image_dataset_from_directory`` followed by ``.cache()``:
  its first epoch (decode + fill the cache) and a cached epoch;

Every stage runs ``--repeats`` times on fresh pipelines; the median is reported.
- ``pil_loop``: a plain single-threaded Pillow loop (open, RGB, resize, stack).

Example:
    python benchmarks/pipeline.py --data path/to/food-101 --sizes 128 224
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
import numpy as np
from _common import DEFAULT_DATA, machine_info, markdown_table, save_json


def epoch_seconds(dataset) -> tuple[float, int]:
    start = time.perf_counter()
    count = 0
    for images, _ in dataset:
        count += int(images.shape[0])
    return time.perf_counter() - start, count


def image_root(data: str) -> str:
    images = os.path.join(data, "images")
    return images if os.path.isdir(images) else data


def median_row(pipeline: str, stage: str, runs: list[tuple[float, int]]) -> dict:
    seconds = [s for s, _ in runs]
    return {
        "pipeline": pipeline,
        "stage": stage,
        "images": runs[0][1],
        "seconds": statistics.median(seconds),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "repeats": len(runs),
    }


def bench_foodvision(root: str, size: int, batch: int, seed: int, repeats: int) -> list[dict]:
    import foodvision as fv

    def load(cache):
        start = time.perf_counter()
        data = fv.load_image_folder(
            root,
            image_size=(size, size),
            batch_size=batch,
            validation_split=0.0,
            seed=seed,
            cache=cache,
        )
        return data, (time.perf_counter() - start, sum(data.counts["train"].values()))

    checks, firsts, cached, augmented, streaming = [], [], [], [], []
    for _ in range(repeats):
        data, check = load(cache=True)
        checks.append(check)
        firsts.append(epoch_seconds(data.train))
        cached.append(epoch_seconds(data.train))
        stream_data, _ = load(cache=False)
        streaming.append(epoch_seconds(stream_data.train))
    rows = [
        median_row("foodvision", "file check (one-time)", checks),
        median_row("foodvision", "first epoch (decode + cache)", firsts),
        median_row("foodvision", "cached epoch", cached),
        median_row("foodvision", "uncached epoch (streaming)", streaming),
    ]
    if hasattr(fv, "augmentation"):
        pipeline = fv.apply_augmentation(
            data.train, fv.augmentation("standard", seed=seed), data.num_classes
        )
        epoch_seconds(pipeline)  # trace the augmentation graph once
        augmented = [epoch_seconds(pipeline) for _ in range(repeats)]
        rows.append(median_row("foodvision", "cached epoch + standard augmentation", augmented))
    return rows


def bench_keras(root: str, size: int, batch: int, seed: int, repeats: int) -> list[dict]:
    import keras

    firsts, cached = [], []
    for _ in range(repeats):
        dataset = keras.utils.image_dataset_from_directory(
            root,
            image_size=(size, size),
            batch_size=batch,
            shuffle=True,
            seed=seed,
            interpolation="bilinear",
            verbose=False,
        ).cache()
        firsts.append(epoch_seconds(dataset))
        cached.append(epoch_seconds(dataset))
    return [
        median_row("keras_idfd", "first epoch (decode + cache)", firsts),
        median_row("keras_idfd", "cached epoch", cached),
    ]


def bench_pil(root: str, size: int, batch: int, repeats: int) -> list[dict]:
    from foodvision.data.checks import list_image_files

    files = list_image_files(root)
    runs = []
    for _ in range(repeats):
        runs.append((_pil_epoch(files, size, batch), len(files)))
    return [median_row("pil_loop", "epoch", runs)]


def _pil_epoch(files: list[str], size: int, batch: int) -> float:
    from PIL import Image

    start = time.perf_counter()
    for first in range(0, len(files), batch):
        arrays = []
        for path in files[first : first + batch]:
            with Image.open(path) as image:
                arrays.append(np.asarray(image.convert("RGB").resize((size, size), Image.BILINEAR)))
        np.stack(arrays)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="class-per-folder or Food-101 root")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="runs per stage (median kept)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "pipeline.json"))
    args = parser.parse_args()
    root = image_root(args.data)

    results = []
    for size in args.sizes:
        rows = (
            bench_foodvision(root, size, args.batch_size, args.seed, args.repeats)
            + bench_keras(root, size, args.batch_size, args.seed, args.repeats)
            + bench_pil(root, size, args.batch_size, args.repeats)
        )
        for row in rows:
            row["size"] = size
            row["images_per_second"] = row["images"] / row["seconds"]
        results.extend(rows)
        print(
            markdown_table(
                rows,
                [
                    "size",
                    "pipeline",
                    "stage",
                    "images",
                    "seconds",
                    "min_seconds",
                    "max_seconds",
                    "images_per_second",
                ],
            ),
            flush=True,
        )
    payload = {
        "benchmark": "pipeline",
        "data": Path(args.data).name,
        "batch_size": args.batch_size,
        "machine": machine_info(),
        "results": results,
    }
    print(f"saved {save_json(args.out, payload)}")


if __name__ == "__main__":
    main()
