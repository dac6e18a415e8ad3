"""``foodvision predict``: the top-k classes of image files and folders, with a saved model.

Example:
    $ foodvision predict runs/study/step5_vgg16/model.keras photo1.jpg photos/ --top-k 3
    $ foodvision predict model.keras photos/ --tta --format csv > predictions.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from foodvision.apps.cli.common import add_tta_arguments, class_list, image_size, tta_from_args

FORMATS = ("text", "json", "csv")


def add_parser(commands: Any) -> None:
    """Register ``predict`` on the command's sub-parsers."""
    parser = commands.add_parser(
        "predict", help="top-k classes of image files and folders with a saved model"
    )
    parser.add_argument("model", help="a .keras file saved by foodvision (e.g. model.keras)")
    parser.add_argument("images", nargs="+", help="image files and folders (searched recursively)")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    add_tta_arguments(parser)
    parser.add_argument(
        "--classes",
        type=class_list,
        default=None,
        help="class names, comma-separated (default: those saved in the model file)",
    )
    parser.add_argument(
        "--image-size",
        type=image_size,
        default=None,
        metavar="N|HxW",
        help="size to resize to (default: the model's input size)",
    )
    parser.add_argument(
        "--resize",
        choices=("stretch", "crop", "pad"),
        default=None,
        help="how photos are resized (default: as the model's training data were)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print one line (or row, or JSON object) per image: its top-k classes, or why not.

    Returns 0 when at least one image was predicted, 1 when none could be read.
    """
    from foodvision.predict import predict_files

    results = predict_files(
        args.model,
        args.images,
        top_k=args.top_k,
        class_names=args.classes,
        image_size=args.image_size,
        resize=args.resize,
        batch_size=args.batch_size,
        tta=tta_from_args(args),
    )
    write_results(results, args.format, sys.stdout)
    if any(r.error is None for r in results):
        return 0
    print(
        f"foodvision predict: error: none of the {len(results)} image(s) could be read",
        file=sys.stderr,
    )
    return 1


def write_results(results: list[Any], form: str, stream: Any) -> None:
    """Write predictions as ``text``, ``json`` (one array) or ``csv`` (one row per class)."""
    if form == "json":
        json.dump([r.to_dict() for r in results], stream, indent=2)
        stream.write("\n")
    elif form == "csv":
        writer = csv.writer(stream)
        writer.writerow(["path", "rank", "class", "probability", "error"])
        for result in results:
            if result.error:
                writer.writerow([result.path, "", "", "", result.error])
            for rank, (name, probability) in enumerate(result.top, start=1):
                writer.writerow([result.path, rank, name, f"{probability:.6f}", ""])
    else:
        for result in results:
            if result.error:
                stream.write(f"{result.path}: skipped ({result.error})\n")
            else:
                ranked = ", ".join(f"{name} {p:.1%}" for name, p in result.top)
                stream.write(f"{result.path}: {ranked}\n")
