"""``foodvision evaluate``: a saved model on a dataset split, as a report folder.

Example:
    $ foodvision evaluate runs/step1/best.keras --data synthetic --out runs/step1/report
    $ foodvision evaluate best.keras --data path/to/food-101 --classes pizza,sushi --out rep

"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from foodvision.apps.cli.common import (
    UsageError,
    add_data_arguments,
    add_tta_arguments,
    data_from_args,
    tta_from_args,
)

SPLITS = ("test", "val", "train")


def add_parser(commands: Any) -> None:
    """Register ``evaluate MODEL.keras --data PATH|synthetic --out DIR [--split test]``.

    The data options are those of every data command (see
    :func:`~foodvision.apps.cli.common.add_data_arguments`) with the dataset as
    ``--data`` (default ``synthetic``); the image size defaults to the model's input size.
    """
    parser = commands.add_parser(
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
    add_tta_arguments(parser)
    parser.set_defaults(handler=run)


def _history_file(args: argparse.Namespace, model_path: Path) -> Path | str | None:
    if args.history is None:
        beside = model_path.parent / "history.csv"
        return beside if beside.is_file() else None
    if not Path(args.history).is_file():
        raise UsageError(f"--history {args.history!r} does not exist")
    return args.history


def run(args: argparse.Namespace) -> int:
    """Load the model and the data split, evaluate, save the report and print a summary."""
    from foodvision.base.shapes import model_image_size
    from foodvision.evaluation import evaluate
    from foodvision.models import load_model, model_facts

    path = Path(args.model)
    if not path.is_file():
        raise UsageError(
            f"model file {args.model!r} does not exist; give a .keras file written by "
            "model.save() or foodvision train"
        )
    model = load_model(path, safe_mode=True, compile=False)  # refuses other files clearly
    if args.image_size is None:
        args.image_size = model_image_size(model) or (128, 128)
    data = data_from_args(args)
    facts = model_facts(model)
    if facts is not None and tuple(data.class_names) != tuple(facts.class_names):
        raise UsageError(
            f"the model was trained on the classes {', '.join(facts.class_names)}, but the "
            f"data has {', '.join(data.class_names)}; evaluate it on data of its classes "
            "(--classes picks them from a Food-101 folder)"
        )
    report = evaluate(
        model,
        data.split(args.split),
        data.class_names,
        history=_history_file(args, path),
        files=(data.files.get(args.split) if args.split != "train" else None) or None,
        top_k=args.top_k,
        interpret=not args.no_interpret,
        title=args.title or f"{model.name} on the {args.split} split",
        tta=tta_from_args(args),
    )
    page = report.save(args.out)
    print(report.summary())
    print(f"\nreport: {page}")
    return 0
