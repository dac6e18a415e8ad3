"""``foodvision study``: the five-step study, one report per step, a page comparing them.

Example:
    $ foodvision study --data path/to/food-101 --classes apple_pie,ramen,sushi --profile full
"""

from __future__ import annotations

import argparse
from typing import Any

from foodvision.apps.cli.common import (
    DATA_CHOICES_HELP,
    UsageError,
    add_augment_on_argument,
    add_backend_argument,
    add_loader_argument,
    add_placement_arguments,
    class_list,
    placement_from_args,
)
from foodvision.apps.study.plan import PROFILES, STEP_NUMBERS, resolve_steps


def _steps(text: str) -> tuple[int, ...]:
    try:
        numbers = [int(part) for part in text.replace(" ", "").split(",") if part]
        return resolve_steps(numbers)
    except ValueError as err:
        if "valid steps" in str(err):
            raise argparse.ArgumentTypeError(str(err)) from err
        raise argparse.ArgumentTypeError(
            f"expected step numbers separated by commas, like 1,3,5; got {text!r}"
        ) from err


def _seed_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a number of seeds >= 1, got {text!r}")
    return count


def add_parser(commands: Any) -> None:
    """Register ``study`` on the command's sub-parsers."""
    study = commands.add_parser(
        "study",
        help="run the five-step study; one report per step, summary.json, study.html",
        description="Run the five-step study (1 baseline CNN, 2 deeper CNN, 3 + augmentation "
        "and dropout, 4 tuned with KerasTuner, 5 VGG16 fine-tuned) and compare the steps.",
    )
    study.add_argument(
        "--data", default="synthetic", help=f"{DATA_CHOICES_HELP} (default: %(default)s)"
    )
    study.add_argument("--out", default="runs/study", help="study folder (default: %(default)s)")
    study.add_argument(
        "--steps",
        type=_steps,
        default=STEP_NUMBERS,
        metavar="N,N,...",
        help="steps to run, e.g. 1,3,5 (default: all)",
    )
    study.add_argument(
        "--profile",
        choices=tuple(PROFILES),
        default="quick",
        help="quick: about 1.25 h for one seed on a 2-core CPU; full: the real study; "
        "gpu: full sized for one GPU (224 px, batch 128, bfloat16) (default: %(default)s)",
    )
    study.add_argument(
        "--classes",
        type=class_list,
        default=None,
        help="comma-separated subset of classes (folders, Food-101)",
    )
    study.add_argument("--seed", type=int, default=0, help="the first seed (default: 0)")
    study.add_argument(
        "--seeds",
        type=_seed_count,
        default=1,
        metavar="N",
        help="run every step with N seeds (--seed, --seed + 1, ...), each redrawing the "
        "validation split, and compare the steps paired by seed (default: 1)",
    )
    study.add_argument(
        "--download",
        action="store_true",
        help="with --data food101: fetch Food-101 (about 5 GB) into Keras's cache when it is "
        "not there yet",
    )
    add_augment_on_argument(study)
    add_placement_arguments(study)
    add_loader_argument(study)
    study.add_argument(
        "--tensorboard",
        default=None,
        metavar="DIR",
        help="write TensorBoard logs there, one folder per step",
    )
    add_backend_argument(study, default=argparse.SUPPRESS)
    study.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the study and print each step's accuracy and where its page is."""
    from foodvision.apps.study.runner import run_study

    data = args.data
    if args.download:
        if data != "food101":
            raise UsageError("--download fetches Food-101: use it with --data food101")
        from foodvision.data.food101 import locate_food101

        data = locate_food101(download=True)
    result = run_study(
        data,
        steps=args.steps,
        out_dir=args.out,
        profile=args.profile,
        seed=args.seed,
        seeds=args.seeds,
        classes=args.classes or None,
        augment_on=args.augment_on,
        loader=args.loader,
        tensorboard=args.tensorboard,
        verbose=0 if getattr(args, "quiet", False) else 1,  # -q: no step or epoch lines
        **placement_from_args(args),
    )
    several = "seeds" in result.summary
    for step in result.summary["steps"]:
        low, high = step["test_accuracy_ci95"]
        spread = f" ± {step['test_accuracy_sd']:.1%} over seeds" if several else ""
        ensemble = (
            f"; the seeds as one ensemble {step['seed_ensemble_accuracy']:.1%}"
            if "seed_ensemble_accuracy" in step
            else ""
        )
        print(
            f"step {step['step']} {step['model']:<16} test accuracy {step['test_accuracy']:.1%}"
            f"{spread} (95% CI {low:.1%}-{high:.1%}){ensemble}"
        )
    for comparison in result.summary["comparisons"] if several else ():
        print(
            f"step {comparison['to_step']} vs {comparison['from_step']}: "
            f"{comparison['accuracy_change'] * 100:+.1f} points, Holm p = "
            f"{comparison['p_holm']:.3g}: {comparison['verdict']}"
        )
    print(f"study page: {result.page}")
    return 0
