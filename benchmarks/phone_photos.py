"""Loading a folder of phone-sized photos: reduced-scale decoding against full-size decoding.

Phone cameras write 12-50 megapixel JPEGs, many stored sideways with an EXIF orientation
tag. This script writes a class-per-folder tree of such photos (4032 x 3024 at JPEG
quality 90, half of them stored turned with tag 6, made from the dataset's photos
enlarged, with sensor-like noise; ``--unique`` distinct ones, the rest copies) into a
temporary folder, then times, each in a fresh Python process that has first loaded a
tiny folder (so TensorFlow's one-time start-up is not counted):

- ``tf``: ``load_image_folder`` (the file check, and with the cache in memory the decode
  that fills it) and the first epoch at ``--size`` px through the tf.data loader;
- ``arrays``: the same with ``loader="arrays"`` (Pillow, no TensorFlow): the check reads
  headers, the decode into the array store is the first epoch's work.

Decode modes:

- ``shipped``: foodvision as it is. The tf.data loader with its cache in memory decodes
  each file once, at the smallest DCT scale that covers the target, and that decode is
  both the check and the cache; Pillow decodes at the smallest scale that is three times
  the target.
- ``full``: the same code with every decode at full size (``jpeg_downscale=False``, the
  check's and Pillow's scales set to 1): what these files cost without reduced-scale
  decoding.
- ``previous`` (tf.data only): what the version before did: a full-size check decode,
  then a first epoch that decodes every file again at reduced scale (run here as the
  check at full size and an uncached first epoch, which does the same decoding).

Rounds alternate the order of the modes and the median is reported.

Example:
    python benchmarks/phone_photos.py --images 150 --size 224
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
import numpy as np
from _common import DEFAULT_DATA, machine_info, markdown_table, save_json
from PIL import Image

PHONE_SIZE = (4032, 3024)  # a 12-megapixel phone photo, landscape (width, height)


def write_photos(
    root: Path, per_class: int, data: str, unique: int | None = None, seed: int = 0
) -> list[Path]:
    """``per_class`` phone-sized JPEGs in each of two class folders; half stored turned.

    Only ``unique`` photos are made (each takes a second or two to write); the other
    files are copies of them, which cost the same to decode.
    """
    sources = sorted(glob.glob(os.path.join(data, "images", "*", "*.jpg")))
    rng = np.random.default_rng(seed)
    written: list[Path] = []
    for index in range(2 * per_class):
        folder = root / f"class_{index % 2}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"IMG_{index:04d}.jpg"
        if unique is not None and index >= unique:
            shutil.copyfile(written[index % unique], path)
            written.append(path)
            continue
        if sources:
            with Image.open(sources[(index * 37) % len(sources)]) as photo:
                base = photo.convert("RGB").resize(PHONE_SIZE, Image.BICUBIC)
        else:  # no dataset: smooth random shapes
            small = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
            base = Image.fromarray(small).resize(PHONE_SIZE, Image.BICUBIC)
        pixels = np.asarray(base, np.float32) + rng.normal(0, 3, (*PHONE_SIZE[::-1], 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        exif = Image.Exif()
        if index % 4 >= 2:  # a portrait photo: stored landscape, shown turned
            exif[0x0112] = 6
        image.save(path, quality=90, exif=exif.tobytes())
        written.append(path)
    return written


def run_case(root: str, loader: str, mode: str, size: int) -> dict:
    """Time the check and the first epoch in this process (called in a fresh one)."""
    import tensorflow  # noqa: F401  (imported before the clock starts)

    import foodvision as fv
    from foodvision.data import checks, image_formats
    from foodvision.data.array_split import numpy_batches

    warm_up(loader)  # TensorFlow's and tf.data's first-use costs are not the photos'
    options = {"cache": "memory"}
    if mode in ("full", "previous"):
        checks.CHECK_JPEG_RATIO = 1
    if mode == "full":
        image_formats.JPEG_DRAFT_GAP = 10**6  # asks for more than the file has: scale 1
        if loader == "tf":
            options["jpeg_downscale"] = False
    if mode == "previous":
        options["cache"] = False
    start = time.perf_counter()
    data = fv.load_image_folder(
        root,
        image_size=(size, size),
        batch_size=32,
        validation_split=0.0,
        test_split=0.0,
        loader=loader,
        **options,
    )
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    count = sum(len(images) for images, _ in numpy_batches(data.train))
    epoch = time.perf_counter() - start
    return {"load_s": loaded, "first_epoch_s": epoch, "images": count}


def warm_up(loader: str) -> None:
    """Load and iterate a tiny folder once, so that one-time start-up is not timed."""
    import foodvision as fv
    from foodvision.data.array_split import numpy_batches

    with tempfile.TemporaryDirectory() as folder:
        for name in ("a", "b"):
            (Path(folder) / name).mkdir()
            Image.new("RGB", (64, 48), "gray").save(Path(folder) / name / "x.jpg")
        data = fv.load_image_folder(
            folder, image_size=(32, 32), validation_split=0.0, test_split=0.0, loader=loader
        )
        list(numpy_batches(data.train))


def fresh_process(root: str, loader: str, mode: str, size: int) -> dict:
    command = [sys.executable, __file__, "--case", root, loader, mode, str(size)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=150, help="photos per class (2 classes)")
    parser.add_argument("--unique", type=int, default=40, help="distinct photos; others copies")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds per loader")
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "phone_photos.json")
    )
    parser.add_argument("--case", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        root, loader, mode, size = args.case
        print(json.dumps(run_case(root, loader, mode, int(size))))
        return
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        photos = write_photos(Path(folder), args.images, args.data, args.unique)
        megabytes = sum(p.stat().st_size for p in photos) / 1e6
        seconds = time.perf_counter() - start
        print(f"wrote {len(photos)} photos ({megabytes:.0f} MB) in {seconds:.0f} s")
        runs: dict[tuple[str, str], list[dict]] = {}
        for loader in ("tf", "arrays"):
            modes = ("shipped", "full", "previous") if loader == "tf" else ("shipped", "full")
            for round_index in range(args.rounds):
                for mode in modes if round_index % 2 == 0 else modes[::-1]:
                    result = fresh_process(folder, loader, mode, args.size)
                    runs.setdefault((loader, mode), []).append(result)
                    print(f"{loader} {mode}: {result}")
    rows = []
    for (loader, mode), results in runs.items():
        load = statistics.median(r["load_s"] for r in results)
        epoch = statistics.median(r["first_epoch_s"] for r in results)
        rows.append(
            {
                "loader": loader,
                "decode": mode,
                "load_s": load,
                "first_epoch_s": epoch,
                "total_s": load + epoch,
                "images/s": results[0]["images"] / (load + epoch),
                "runs": results,
            }
        )
    for loader in ("tf", "arrays"):
        full = next(r for r in rows if r["loader"] == loader and r["decode"] == "full")
        for row in rows:
            if row["loader"] == loader:
                row["vs full"] = f"{full['total_s'] / row['total_s']:.1f}x"
    previous = next(r for r in rows if r["decode"] == "previous")
    for row in rows:
        if row["loader"] == "tf":
            row["vs previous"] = f"{previous['total_s'] / row['total_s']:.1f}x"
    columns = ["loader", "decode", "load_s", "first_epoch_s", "total_s", "images/s"]
    print(markdown_table(rows, [*columns, "vs full", "vs previous"]))
    payload = {
        "machine": machine_info(),
        "settings": {
            "photos": 2 * args.images,
            "distinct_photos": min(args.unique, 2 * args.images),
            "photo_size": PHONE_SIZE,
            "size": args.size,
            "megabytes": megabytes,
        },
        "rows": rows,
    }
    print(f"saved {save_json(args.out, payload)}")


if __name__ == "__main__":
    main()
