"""``foodvision train``: train a registered model, keeping checkpoints in ``--out``.

A model trained from scratch trains for ``--epochs``; a transfer model (ImageNet backbone,
e.g. ``vgg16_finetune``) is fine-tuned in two phases (``--head-epochs`` on the frozen
backbone, then ``--finetune-epochs`` of its top ``--trainable-blocks`` at
``--finetune-learning-rate``). Either way ``--out`` ends up with ``model.keras`` (the
whole model, its class names inside) and ``model_card.md``, and the test split, when
there is one, is scored.

Example:
    $ foodvision train --model deeper_cnn --data synthetic --epochs 10 --out runs/deeper
    $ foodvision train --model vgg16_finetune --data food-101/ --out runs/vgg
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from foodvision.apps.cli.common import (
    UsageError,
    add_augment_on_argument,
    add_data_arguments,
    add_placement_arguments,
    data_from_args,
    placement_from_args,
)
from foodvision.base.option_names import SCHEDULES

DEFAULT_EPOCHS = 10


def add_parser(commands: Any) -> None:
    """Register ``train`` on the command's sub-parsers."""
    parser = commands.add_parser("train", help="train a model; checkpoints, history, model file")
    parser.add_argument("--model", required=True, help="a registered model name (see `models`)")
    add_data_arguments(parser, default_size=None, positional=False)
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"epochs of a model trained from scratch (default {DEFAULT_EPOCHS})",
    )
    parser.add_argument("--out", required=True, help="folder for checkpoints and the model")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument(
        "--schedule",
        default="constant",
        choices=SCHEDULES,
        help="learning-rate schedule; for transfer models, of phase 2 (default: %(default)s)",
    )
    parser.add_argument(
        "--augmentation",
        default="auto",
        help="augmentation preset: none, light, standard, strong, or auto (the model's own; "
        "none for transfer models)",
    )
    add_augment_on_argument(parser, default="auto")
    add_placement_arguments(
        parser, {"precision": "float32", "distribution": "none", "steps_per_execution": 1}
    )
    parser.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE")
    parser.add_argument(
        "--label-smoothing", type=float, default=0.0, help="share of each target spread evenly"
    )
    parser.add_argument(
        "--class-weight",
        choices=("none", "balanced"),
        default="none",
        help="balanced: weigh each class by the inverse of its training images",
    )
    transfer = parser.add_argument_group("transfer models (two-phase fine-tuning)")
    transfer.add_argument("--head-epochs", type=int, default=10, help="phase 1: the new head")
    transfer.add_argument(
        "--finetune-epochs", type=int, default=5, help="phase 2: top blocks and head (0: skip)"
    )
    transfer.add_argument("--trainable-blocks", type=int, default=1, help="blocks of phase 2")
    transfer.add_argument("--finetune-learning-rate", type=float, default=1e-5)
    transfer.add_argument(
        "--finetune-rate-decay",
        type=float,
        default=1.0,
        help="phase 2: each block below the top one at this factor of the rate of the block "
        "above it (default 1: all at the full rate)",
    )
    parser.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue the run found in --out (default) or start over",
    )
    parser.add_argument(
        "--on-change",
        choices=("error", "restart"),
        default="error",
        help="when --out holds a run begun with other settings: refuse (default) or start over",
    )
    parser.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="write TensorBoard logs there (view: tensorboard --logdir DIR)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the model, train it, score the test split and say where the model is."""
    from foodvision.models import build_model, get_model_spec
    from foodvision.training import initialize_processes, is_chief, use_compilation_cache

    if args.distribution == "data_parallel":  # before anything runs on JAX
        initialize_processes()

    spec = get_model_spec(args.model)  # unknown names fail here, before any loading
    transfer = spec.family == "transfer"
    if transfer and args.epochs is not None:
        raise UsageError(
            f"{args.model} is fine-tuned in two phases: give --head-epochs and "
            "--finetune-epochs instead of --epochs"
        )
    _check_options(args, transfer)  # before the data loads and --out is made
    if args.image_size is None:
        args.image_size = tuple(spec.input_shape[:2])
    data = data_from_args(args)
    model = build_model(args.model, num_classes=data.num_classes, input_shape=(*data.image_size, 3))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    use_compilation_cache(out / "compile_cache")
    options = {
        "augmentation": None if args.augmentation == "none" else args.augmentation,
        "augment_on": args.augment_on,
        "early_stopping": args.early_stopping,
        "checkpoint_dir": out,
        "tensorboard": args.tensorboard,
        "seed": args.seed,
        "label_smoothing": args.label_smoothing,
        "class_weight": None if args.class_weight == "none" else args.class_weight,
        "resume": args.resume,
        "on_change": args.on_change,
        "verbose": 0 if getattr(args, "quiet", False) else "auto",  # -q: no epoch lines
        **placement_from_args(args),
    }
    test_outputs = None
    if transfer:
        test_outputs = _fine_tune(model, data, args, options)
    else:
        _train(model, data, args, options)
    model_path = out / "model.keras"
    if data.test is not None and is_chief():
        _score_test(model, data, model_path, test_outputs)
    print(f"model: {model_path} (class names inside; card: {out / 'model_card.md'})")
    print(f"history: {out / 'history.csv' if not transfer else out / '*' / 'history.csv'}")
    return 0


def _check_options(args: argparse.Namespace, transfer: bool) -> None:
    """Refuse a bad training option at once, with the library's own checks.

    Raises:
        ValueError: The option's message (the command prints it and exits with 2).
    """
    from foodvision.augment import AUGMENTATION_PRESETS
    from foodvision.base.checks import check_choice, check_factor, check_int, check_positive
    from foodvision.training.fit import check_run_options

    if transfer:
        check_int("--head-epochs", args.head_epochs, 1)
        check_int("--finetune-epochs", args.finetune_epochs, 0)
        check_int("--trainable-blocks", args.trainable_blocks, 0)
        check_positive("--finetune-learning-rate", args.finetune_learning_rate)
        check_factor("--finetune-rate-decay", args.finetune_rate_decay)
    elif args.epochs is not None:
        check_int("--epochs", args.epochs, 1)
    check_positive("--learning-rate", args.learning_rate)
    check_choice("--augmentation", args.augmentation, ("auto", *AUGMENTATION_PRESETS))
    check_int("--steps-per-execution", args.steps_per_execution, 1)
    check_run_options(args.label_smoothing, args.on_change)


def _train(model: Any, data: Any, args: argparse.Namespace, options: dict[str, Any]) -> None:
    from foodvision.training import train

    augmentation = options.pop("augmentation")
    history = train(
        model,
        data,
        epochs=DEFAULT_EPOCHS if args.epochs is None else args.epochs,
        learning_rate=args.learning_rate,
        schedule=args.schedule,
        augmentation=augmentation,
        **options,
    )
    last = {k: round(v[-1], 4) for k, v in history.history.items()}
    print(f"trained {args.model} for {len(history.epoch)} epochs: {last}")


def _fine_tune(model: Any, data: Any, args: argparse.Namespace, options: dict[str, Any]) -> Any:
    """Two-phase fine-tuning; returns the test outputs when they came from cached features."""
    from foodvision.training import fine_tune

    augmentation = options.pop("augmentation")
    if augmentation == "auto":
        augmentation = None  # transfer specs train on the images as they are
    result = fine_tune(
        model,
        data,
        head_epochs=args.head_epochs,
        finetune_epochs=args.finetune_epochs,
        trainable_blocks=args.trainable_blocks,
        learning_rate=args.learning_rate,
        finetune_learning_rate=args.finetune_learning_rate,
        finetune_rate_decay=args.finetune_rate_decay,
        finetune_schedule=args.schedule,
        augmentation=augmentation,
        augment_head=False,
        **options,
    )
    phases = f"{len(result.head.history.get('loss', []))} head epochs"
    if result.finetune is not None:
        phases += (
            f" + {len(result.finetune.history.get('loss', []))} epochs of the top "
            f"{args.trainable_blocks} block(s)"
        )
    val = result.history.get("val_accuracy") or [float("nan")]
    print(f"fine-tuned {args.model}: {phases}; last val_accuracy {val[-1]:.4f}")
    return result.test_outputs


def _score_test(model: Any, data: Any, model_path: Path, outputs: Any) -> None:
    """Accuracy on the test split with its 95 % interval, printed and put in the model file."""
    from foodvision.evaluation import bootstrap_accuracy_ci, evaluate
    from foodvision.models import read_facts, update_facts

    report = evaluate(model, data.test, data.class_names, interpret=False, outputs=outputs)
    correct = report.probabilities.argmax(axis=1) == report.labels
    low, high = bootstrap_accuracy_ci(correct, seed=0)
    print(
        f"test accuracy {correct.mean():.4f} (95% CI {low:.4f}-{high:.4f}) on {len(correct)} images"
    )
    facts = read_facts(model_path)
    if facts is not None:
        metrics = {
            **facts.metrics,
            "test_accuracy": float(correct.mean()),
            "test_accuracy_ci95": [low, high],
            "test_images": len(correct),
        }
        update_facts(model_path, metrics=metrics)
