"""The ``foodvision evaluate`` command.

Example:
    $ foodvision evaluate runs/step1/best.keras --data synthetic --out runs/step1/report
    $ foodvision evaluate best.keras --data path/to/food-101 --classes pizza,sushi --out rep

"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

SPLITS = ("test", "val", "train")


def add_evaluate_command(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``evaluate MODEL.keras --data PATH|synthetic --out DIR [--split test]``.

    The data options come from :func:`foodvision.cli.add_data_arguments` with the dataset
    as ``--data`` (default ``synthetic``); the image size defaults to the model's input
    size.

    Args:
        subparsers: The object returned by ``parser.add_subparsers()``.

    Returns:
        The ``evaluate`` parser (its handler is ``args.handler``).

    Example:
        >>> commands = argparse.ArgumentParser().add_subparsers()
        >>> parser = add_evaluate_command(commands)

    """
    from foodvision.cli import add_data_arguments

    parser = subparsers.add_parser(
        "evaluate",
        help="evaluate a saved model: report.html, metrics.json, figures",
        description="Evaluate a saved .keras model on a dataset split and write report.html, "
        "metrics.json, predictions.csv and PNG figures to --out.",
    )
    parser.add_argument("model", metavar="MODEL.keras", help="model file saved by model.save()")
    add_data_arguments(parser, default_size=None, positional=False)
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the report")
    parser.add_argument("--split", choices=SPLITS, default="test", help="default %(default)s")
    parser.add_argument(
        "--history",
        default=None,
        metavar="CSV",
        help="history.csv to plot (default: history.csv beside the model, if any)",
    )
    parser.add_argument("--top-k", type=int, default=5, help="k of the top-k accuracy")
    parser.add_argument(
        "--no-interpret",
        action="store_true",
        help="skip filters, feature maps and Grad-CAM",
    )
    parser.add_argument("--title", default=None, help="title of the report page")
    parser.set_defaults(handler=cmd_evaluate)
    return parser


def model_image_size(model: Any) -> tuple[int, int] | None:
    """``(height, width)`` of a model's image input, or ``None`` when not fixed."""
    try:
        shape = model.input_shape
    except (AttributeError, ValueError, RuntimeError):
        return None
    if isinstance(shape, list) and len(shape) == 1:
        shape = shape[0]
    if not isinstance(shape, tuple) or len(shape) != 4:
        return None
    height, width = shape[1], shape[2]
    if height is None or width is None:
        return None
    return int(height), int(width)


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Load the model and the data split, evaluate, save the report and print a summary."""
    from foodvision.cli import UsageError, load_data
    from foodvision.evaluation import evaluate
    from foodvision.models.saving import load_model

    path = Path(args.model)
    if not path.is_file():
        raise UsageError(
            f"model file {args.model!r} does not exist; give a .keras file written by "
            "model.save() or foodvision train"
        )
    if path.suffix != ".keras":
        raise UsageError(f"{args.model!r} is not a .keras file; save the model with model.save")
    model = load_model(path, safe_mode=True, compile=False)
    if args.image_size is None:
        args.image_size = model_image_size(model) or (128, 128)
    data = load_data(args)
    dataset = data.split(args.split)
    files = data.files.get(args.split) if args.split != "train" else None
    history = args.history
    if history is None and (path.parent / "history.csv").is_file():
        history = path.parent / "history.csv"
    elif history is not None and not Path(history).is_file():
        raise UsageError(f"--history {history!r} does not exist")
    report = evaluate(
        model,
        dataset,
        data.class_names,
        history=history,
        files=files or None,
        top_k=args.top_k,
        interpret=not args.no_interpret,
        title=args.title or f"{model.name} on the {args.split} split",
    )
    page = report.save(args.out)
    print(report.summary())
    print(f"\nreport: {page}")
    return 0
