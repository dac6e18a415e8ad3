"""``foodvision train``: train a registered model, keeping checkpoints in ``--out``.

Example:
    $ foodvision train --model deeper_cnn --data synthetic --epochs 10 --out runs/deeper
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from foodvision.apps.cli.common import (
    add_augment_on_argument,
    add_data_arguments,
    add_placement_arguments,
    data_from_args,
    placement_from_args,
)

SCHEDULES = ("constant", "cosine", "plateau")


def add_parser(commands: Any) -> None:
    """Register ``train`` on the command's sub-parsers."""
    parser = commands.add_parser("train", help="train a model; checkpoints, history, best model")
    parser.add_argument("--model", required=True, help="a registered model name (see `models`)")
    add_data_arguments(parser, default_size=None, positional=False)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", required=True, help="folder for checkpoints and history")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--schedule", default="constant", choices=SCHEDULES)
    parser.add_argument(
        "--augmentation", default=None, help="augmentation preset: none, light, standard, strong"
    )
    add_augment_on_argument(parser, default="auto")
    add_placement_arguments(
        parser, {"precision": "float32", "distribution": "none", "steps_per_execution": 1}
    )
    parser.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE")
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue the run found in --out (default) or start over",
    )
    parser.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="write TensorBoard logs there (view: tensorboard --logdir DIR)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the model, train it and say where the best model and history are."""
    from foodvision.models import build_model, get_model_spec
    from foodvision.training import initialize_processes, train, use_compilation_cache

    if args.distribution == "data_parallel":  # before anything runs on JAX
        initialize_processes()

    spec = get_model_spec(args.model)  # unknown names fail here, before any loading
    if args.image_size is None:
        args.image_size = tuple(spec.input_shape[:2])
    data = data_from_args(args)
    model = build_model(args.model, num_classes=data.num_classes, input_shape=(*data.image_size, 3))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "class_names.json").write_text(json.dumps(list(data.class_names)) + "\n")
    use_compilation_cache(out / "compile_cache")
    history = train(
        model,
        data,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        schedule=args.schedule,
        augmentation=args.augmentation,
        augment_on=args.augment_on,
        early_stopping=args.early_stopping,
        checkpoint_dir=out,
        resume=args.resume,
        tensorboard=args.tensorboard,
        seed=args.seed,
        **placement_from_args(args),
    )
    last = {k: round(v[-1], 4) for k, v in history.history.items()}
    print(f"trained {args.model} for {len(history.epoch)} epochs: {last}")
    print(f"best model: {out / 'best.keras'}; history: {out / 'history.csv'}")
    return 0
