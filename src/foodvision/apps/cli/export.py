"""``foodvision export``: a saved model as ONNX, TensorFlow SavedModel or LiteRT.

Example:
    $ foodvision export runs/study/step5_vgg16/model.keras --format onnx
    $ foodvision export model.keras --format saved_model --out serving/food
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SUFFIXES = {"onnx": ".onnx", "saved_model": "_saved_model", "litert": ".tflite"}
"""What the default output path adds to the model file's stem."""


def add_parser(commands: Any) -> None:
    """Register ``export`` on the command's sub-parsers."""
    parser = commands.add_parser(
        "export", help="convert a saved model to ONNX, SavedModel or LiteRT for serving"
    )
    parser.add_argument("model", help="a .keras file saved by foodvision")
    parser.add_argument("--format", choices=tuple(SUFFIXES), default="onnx")
    parser.add_argument(
        "--out",
        default=None,
        help="output file or folder (default: beside the model: model.onnx, "
        "model_saved_model/, model.tflite)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Export the model and say where it went."""
    from foodvision.models import export

    source = Path(args.model)
    if not source.is_file():
        raise FileNotFoundError(f"model file not found: {args.model!r}")
    target = Path(args.out) if args.out else source.with_name(source.stem + SUFFIXES[args.format])
    export(source, target, format=args.format)
    print(f"exported {source} as {args.format}: {target}")
    return 0
