"""``foodvision predict``: the top-k classes of image files, with a saved model.

Example:
    $ foodvision predict runs/deeper/best.keras photo1.jpg photo2.png --top-k 3
"""

from __future__ import annotations

import argparse
from typing import Any

from foodvision.apps.cli.common import class_list, image_size


def add_parser(commands: Any) -> None:
    """Register ``predict`` on the command's sub-parsers."""
    parser = commands.add_parser("predict", help="top-k classes of images with a saved model")
    parser.add_argument("model", help="a .keras file saved by foodvision")
    parser.add_argument("images", nargs="+", help="image files")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument(
        "--classes",
        type=class_list,
        default=None,
        help="class names, comma-separated (default: class_names.json next to the model)",
    )
    parser.add_argument(
        "--image-size",
        type=image_size,
        default=None,
        metavar="N|HxW",
        help="size to resize to (default: the model's input size)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print one line per image: its top-k classes, or why it was skipped."""
    from foodvision.predict import predict_files

    for path, top in predict_files(
        args.model,
        args.images,
        top_k=args.top_k,
        class_names=args.classes,
        image_size=args.image_size,
    ):
        if isinstance(top, str):
            print(f"{path}: skipped ({top})")
            continue
        ranked = ", ".join(f"{name} {probability:.1%}" for name, probability in top)
        print(f"{path}: {ranked}")
    return 0
