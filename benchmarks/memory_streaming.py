"""Peak memory of ``fv.train`` on a folder dataset at 1x and 4x its size.

The images are read from disk every epoch unless a cache is requested, so without a
cache the peak resident memory (RSS) should not grow with the number of images. The
script builds a class-per-folder dataset (generated JPEGs in a temporary folder, or the
images of ``--data``), makes a copy ``--factor`` times larger out of hard links (symbolic
links where hard links are not possible; no image is copied), and trains a tiny model
for one epoch on each, in a fresh process per run, with ``cache=False`` and with
``cache="memory"``. Each process reports its peak RSS (``getrusage`` ``ru_maxrss``).

Example:
    python benchmarks/memory_streaming.py                       # generated images
    python benchmarks/memory_streaming.py --data path/to/folders --per-class 200
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
from _common import machine_info, markdown_table, save_json

CACHES = ("none", "memory")
GROWTH_LIMIT = 0.10
"""Largest accepted relative growth of peak RSS from 1x to the larger copy, without cache."""
RESULT = Path(__file__).resolve().parent / "results" / "memory_streaming.json"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def generate_images(root: Path, classes: int, per_class: int, size: int, seed: int) -> Path:
    """Write ``classes`` x ``per_class`` random JPEGs of ``size`` px into ``root/<class>/``."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c in range(classes):
        folder = root / f"class_{c}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            base = np.full((size, size, 3), 40 + 60 * c, np.int16)
            pixels = np.clip(base + rng.integers(-40, 40, (size, size, 3)), 0, 255)
            Image.fromarray(pixels.astype(np.uint8)).save(folder / f"{i:05d}.jpg", quality=90)
    return root


def source_files(data: Path, per_class: int | None) -> dict[str, list[Path]]:
    """The image files of each class folder of ``data`` (the first ``per_class`` each)."""
    classes = sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise SystemExit(f"{data} needs at least two class folders")
    found = {}
    for folder in classes:
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        found[folder.name] = files[:per_class] if per_class else files
    return found


def link(source: Path, target: Path) -> str:
    """Hard-link ``source`` to ``target``; fall back to a symbolic link. Returns the kind."""
    try:
        os.link(source, target)
        return "hard link"
    except OSError:
        target.symlink_to(source.resolve())
        return "symbolic link"


def replicate(files: dict[str, list[Path]], root: Path, factor: int) -> str:
    """Make ``root/<class>/r<k>_<name>`` for ``k < factor`` as links; return the link kind."""
    kind = "none"
    for name, paths in files.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for copy in range(factor):
            for path in paths:
                kind = link(path, root / name / f"r{copy}_{path.name}")
    return kind


def worker(folder: Path, cache: str, image_size: int, batch_size: int, epochs: int) -> dict:
    """Train a tiny model on ``folder`` in this process; return its peak RSS and timings."""
    import keras

    import foodvision as fv
    from foodvision.base.system import peak_memory_mb

    after_import = peak_memory_mb()
    start = time.perf_counter()
    data = fv.load_image_folder(
        folder,
        image_size=(image_size, image_size),
        batch_size=batch_size,
        validation_split=0.0,
        cache=False if cache == "none" else cache,
    )
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((image_size, image_size, 3)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Conv2D(4, 3, strides=4, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(data.num_classes, activation="softmax"),
        ]
    )
    fv.train(model, data, epochs=epochs, verbose=0)
    peak = peak_memory_mb()
    return {
        "images": data.num_images("train"),
        "peak_rss_mb": peak,
        "rss_after_import_mb": after_import,
        "peak_above_import_mb": peak - after_import,
        "seconds": time.perf_counter() - start,
    }


def run_worker(folder: Path, cache: str, args: argparse.Namespace) -> dict:
    """Run :func:`worker` in a fresh process (peak RSS is per process)."""
    command = [
        sys.executable,
        __file__,
        "--worker",
        str(folder),
        "--cache",
        cache,
        "--image-size",
        str(args.image_size),
        "--batch-size",
        str(args.batch_size),
        "--epochs",
        str(args.epochs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed ({folder.name}, cache {cache}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def growth_rows(rows: list[dict], factor: int) -> list[dict]:
    """Per cache setting: peak RSS at 1x and ``factor``x, and the relative growth."""
    summary = []
    for cache in CACHES:
        by_factor = {r["factor"]: r for r in rows if r["cache"] == cache}
        if 1 not in by_factor or factor not in by_factor:
            continue
        small, large = by_factor[1], by_factor[factor]
        summary.append(
            {
                "cache": cache,
                "peak_rss_1x_mb": small["peak_rss_mb"],
                f"peak_rss_{factor}x_mb": large["peak_rss_mb"],
                "growth_percent": 100 * (large["peak_rss_mb"] / small["peak_rss_mb"] - 1),
                "above_import_growth_mb": large["peak_above_import_mb"]
                - small["peak_above_import_mb"],
            }
        )
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="class-per-folder dataset (default: generated)")
    parser.add_argument("--classes", type=int, default=3, help="generated classes")
    parser.add_argument("--per-class", type=int, default=300, help="images per class at 1x")
    parser.add_argument("--source-size", type=int, default=256, help="generated JPEG side, px")
    parser.add_argument("--image-size", type=int, default=128, help="training image side, px")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--factor", type=int, default=4, help="size of the large copy")
    parser.add_argument("--caches", default=",".join(CACHES), help="none, memory or both")
    parser.add_argument("--out", type=Path, default=RESULT, help="JSON result file")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", default="none", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build the 1x and larger datasets, measure each setting, print and save the results."""
    args = parse_args(argv)
    if args.worker:
        result = worker(args.worker, args.cache, args.image_size, args.batch_size, args.epochs)
        print(json.dumps(result))
        return 0
    caches = [c for c in args.caches.split(",") if c]
    rows = []
    with tempfile.TemporaryDirectory(prefix="memory-streaming-") as scratch:
        scratch_path = Path(scratch)
        data = args.data or generate_images(
            scratch_path / "source", args.classes, args.per_class, args.source_size, seed=0
        )
        files = source_files(data, args.per_class)
        folders = {}
        for factor in (1, args.factor):
            folders[factor] = scratch_path / f"x{factor}"
            link_kind = replicate(files, folders[factor], factor)
        for cache in caches:
            for factor, folder in folders.items():
                row = {"cache": cache, "factor": factor, **run_worker(folder, cache, args)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    summary = growth_rows(rows, args.factor)
    streaming = next((s for s in summary if s["cache"] == "none"), None)
    passed = streaming is not None and streaming["growth_percent"] < 100 * GROWTH_LIMIT
    columns = ["cache", "factor", "images", "peak_rss_mb", "peak_above_import_mb", "seconds"]
    print(markdown_table(rows, columns))
    print()
    print(markdown_table(summary, list(summary[0]) if summary else []))
    verdict = "PASS" if passed else "FAIL"
    limit = f"{100 * GROWTH_LIMIT:.0f}%"
    print(f"\nwithout cache, peak RSS grows < {limit} at {args.factor}x: {verdict}")
    hidden = ("worker", "cache", "out")
    settings = {k: v for k, v in vars(args).items() if k not in hidden}
    settings.update(data=str(args.data) if args.data else "generated", links=link_kind)
    payload = {
        "benchmark": "memory_streaming",
        "backend": os.environ["KERAS_BACKEND"],
        "machine": machine_info(),
        "settings": settings,
        "runs": rows,
        "growth": summary,
        "growth_limit_percent": 100 * GROWTH_LIMIT,
        "passed": passed,
    }
    print(f"saved {save_json(args.out, payload)}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
