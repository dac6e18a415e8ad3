"""Images/s of the foodvision input pipeline against image_dataset_from_directory and PIL.

All three read the same files (every image of a class-per-folder tree, e.g. the
``images/`` folder of a Food-101 layout) at the same size, batch size and bilinear
resize, in one run:

- ``foodvision``: ``load_image_folder`` (parallel TF decode, resize, cache, prefetch):
  the load (its file check decodes every file into the in-memory cache), the first
  epoch, both together (what is compared with Keras's first epoch), a cached epoch, an
  uncached (streaming) epoch, and a cached epoch with the "standard" augmentation;
- ``keras_idfd``: ``keras.utils.image_dataset_from_directory``: followed by
  ``.cache()`` (first epoch, cached epoch), and without a cache (streaming epoch);
- ``pil_loop``: a plain single-threaded Pillow loop (open, RGB, resize, stack).

Every round runs in a fresh Python process, as a user's first epoch does: repeated in
one process, ``image_dataset_from_directory`` + ``.cache()`` reuses the memory its
previous pipeline freed and skips the page faults of filling its float32 cache, which
makes its "first epoch" look several times faster than it ever is in a real run. Epoch
times on a small shared VM drift by up to 2x over minutes, so foodvision and Keras run
in alternating rounds (ABBA order), and the speed ratio is reported three ways: the
median of the per-round ratios, the ratio of the medians and the ratio of the fastest
epochs; process CPU seconds (all threads) are recorded too.

Example:
    python benchmarks/pipeline.py --data path/to/food-101 --sizes 128 224
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
import numpy as np
from _common import DEFAULT_DATA, machine_info, markdown_table, save_json

FOODVISION_FIRST = "load + first epoch"
KERAS_FIRST = "first epoch (decode + cache)"
"""The stages compared: foodvision's load decodes every file once (check and cache at
once), so its load and first epoch together face Keras's first epoch."""


def epoch_seconds(dataset) -> tuple[float, int, float]:
    """Wall seconds, images and process CPU seconds (all threads) of one epoch."""
    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    for images, _ in dataset:
        count += int(images.shape[0])
    return time.perf_counter() - start, count, time.process_time() - cpu


def image_root(data: str) -> str:
    images = os.path.join(data, "images")
    return images if os.path.isdir(images) else data


def median_row(pipeline: str, stage: str, runs: list[tuple[float, int, float]]) -> dict:
    seconds = [run[0] for run in runs]
    return {
        "pipeline": pipeline,
        "stage": stage,
        "images": runs[0][1],
        "seconds": statistics.median(seconds),
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "cpu_seconds": statistics.median(run[2] for run in runs),
        "repeats": len(runs),
        "all_seconds": seconds,
    }


def foodvision_round(root: str, size: int, batch: int, seed: int) -> dict[str, tuple]:
    """One fresh cached pipeline (check, first, cached epoch) and one uncached epoch."""
    import tensorflow  # noqa: F401  (imported before the clock starts, as keras is below)

    import foodvision as fv

    def load(cache):
        start, cpu = time.perf_counter(), time.process_time()
        data = fv.load_image_folder(
            root,
            image_size=(size, size),
            batch_size=batch,
            validation_split=0.0,
            seed=seed,
            cache=cache,
        )
        images = sum(data.counts["train"].values())
        return data, (time.perf_counter() - start, images, time.process_time() - cpu)

    data, check = load(cache=True)
    first = epoch_seconds(data.train)
    cached = epoch_seconds(data.train)
    stream_data, _ = load(cache=False)
    return {
        "load (file check = decode into the cache)": check,
        "first epoch": first,
        FOODVISION_FIRST: (check[0] + first[0], first[1], check[2] + first[2]),
        "cached epoch": cached,
        "uncached epoch (streaming)": epoch_seconds(stream_data.train),
    }


def keras_round(root: str, size: int, batch: int, seed: int) -> dict[str, tuple]:
    """``image_dataset_from_directory``: with ``.cache()`` (first, cached epoch) and without."""
    import keras

    def dataset():
        return keras.utils.image_dataset_from_directory(
            root,
            image_size=(size, size),
            batch_size=batch,
            shuffle=True,
            seed=seed,
            interpolation="bilinear",
            verbose=False,
        )

    cached_dataset = dataset().cache()
    first = epoch_seconds(cached_dataset)
    cached = epoch_seconds(cached_dataset)
    return {
        KERAS_FIRST: first,
        "cached epoch": cached,
        "uncached epoch (streaming)": epoch_seconds(dataset()),
    }


def run_round_in_fresh_process(pipeline: str, args: argparse.Namespace, size: int) -> dict:
    """One round in a new Python process, as a user's first epoch runs (see module doc)."""
    command = [sys.executable, __file__, "--worker", pipeline, "--sizes", str(size)]
    command += ["--data", args.data, "--batch-size", str(args.batch_size), "--seed", str(args.seed)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(ln for ln in reversed(output.splitlines()) if ln.startswith(_ROUND_PREFIX))
    return json.loads(line[len(_ROUND_PREFIX) :])


def bench_interleaved(args: argparse.Namespace, size: int) -> list[dict]:
    """Alternate foodvision and Keras rounds (ABBA...), so slow spells hit both alike."""
    runs: dict[str, dict[str, list]] = {"foodvision": {}, "keras_idfd": {}}
    for index in range(args.repeats):
        order = list(runs) if index % 4 in (0, 3) else list(reversed(runs))
        for pipeline in order:
            for stage, run in run_round_in_fresh_process(pipeline, args, size).items():
                runs[pipeline].setdefault(stage, []).append(tuple(run))
    rows = [
        median_row(pipeline, stage, stage_runs)
        for pipeline, stages in runs.items()
        for stage, stage_runs in stages.items()
    ]
    compared = [(FOODVISION_FIRST, KERAS_FIRST), ("uncached epoch (streaming)",) * 2]
    for stage, their_stage in compared:
        ours, theirs = runs["foodvision"][stage], runs["keras_idfd"][their_stage]
        per_round = [b[0] / a[0] for a, b in zip(ours, theirs)]
        rows.append(
            {
                "pipeline": "foodvision vs keras_idfd",
                "stage": stage,
                "speed_ratio_median_of_rounds": statistics.median(per_round),
                "speed_ratio_of_medians": statistics.median(b[0] for b in theirs)
                / statistics.median(a[0] for a in ours),
                "speed_ratio_of_fastest": min(b[0] for b in theirs) / min(a[0] for a in ours),
                "cpu_ratio_of_medians": statistics.median(b[2] for b in theirs)
                / statistics.median(a[2] for a in ours),
                "per_round": per_round,
            }
        )
    return rows


def bench_augmentation(root: str, size: int, batch: int, seed: int, repeats: int) -> list[dict]:
    import foodvision as fv

    data = fv.load_image_folder(
        root, image_size=(size, size), batch_size=batch, validation_split=0.0, seed=seed
    )
    pipeline = fv.apply_augmentation(
        data.train, fv.augmentation("standard", seed=seed), data.num_classes
    )
    epoch_seconds(pipeline)  # fills the cache and traces the augmentation graph once
    runs = [epoch_seconds(pipeline) for _ in range(repeats)]
    return [median_row("foodvision", "cached epoch + standard augmentation", runs)]


def bench_pil(root: str, size: int, batch: int, repeats: int) -> list[dict]:
    from foodvision.data.checks import list_image_files

    files = list_image_files(root)
    runs = []
    for _ in range(repeats):
        cpu = time.process_time()
        runs.append((_pil_epoch(files, size, batch), len(files), time.process_time() - cpu))
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


ROUNDS = {"foodvision": foodvision_round, "keras_idfd": keras_round}
_ROUND_PREFIX = "ROUND "
_TIME_COLUMNS = [
    "size",
    "pipeline",
    "stage",
    "images",
    "seconds",
    "min_seconds",
    "max_seconds",
    "cpu_seconds",
    "images_per_second",
]
_RATIO_COLUMNS = [
    "size",
    "stage",
    "speed_ratio_median_of_rounds",
    "speed_ratio_of_medians",
    "speed_ratio_of_fastest",
    "cpu_ratio_of_medians",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="class-per-folder or Food-101 root")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=8, help="rounds per stage (median kept)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "pipeline.json"))
    parser.add_argument("--worker", choices=ROUNDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = image_root(args.data)
    if args.worker:
        run = ROUNDS[args.worker](root, args.sizes[0], args.batch_size, args.seed)
        print(_ROUND_PREFIX + json.dumps(run), flush=True)
        return

    results = []
    for size in args.sizes:
        rows = (
            bench_interleaved(args, size)
            + bench_augmentation(root, size, args.batch_size, args.seed, min(args.repeats, 3))
            + bench_pil(root, size, args.batch_size, min(args.repeats, 3))
        )
        for row in rows:
            row["size"] = size
            if "seconds" in row:
                row["images_per_second"] = row["images"] / row["seconds"]
        results.extend(rows)
        timed = [row for row in rows if "seconds" in row]
        ratios = [row for row in rows if "seconds" not in row]
        print(markdown_table(timed, _TIME_COLUMNS), flush=True)
        two_decimals = [
            {k: f"{v:.2f}" if isinstance(v, float) else v for k, v in r.items()} for r in ratios
        ]
        print(markdown_table(two_decimals, _RATIO_COLUMNS), flush=True)
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
