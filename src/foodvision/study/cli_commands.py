"""The ``foodvision study`` command."""

from __future__ import annotations

import argparse
from typing import Any

from foodvision.study.plan import PROFILES, STEP_NUMBERS, resolve_steps


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


def add_study_command(
    subparsers: Any, backends: tuple[str, ...], data_help: str, backend_help: str
) -> Any:
    """Add ``study`` to the ``foodvision`` command's sub-commands."""
    study = subparsers.add_parser(
        "study",
        help="run the five-step study; one report per step, summary.json, study.html",
        description="Run the five-step study (1 baseline CNN, 2 deeper CNN, 3 + augmentation "
        "and dropout, 4 tuned with KerasTuner, 5 VGG16 fine-tuned) and compare the steps.",
    )
    study.add_argument("--data", default="synthetic", help=f"{data_help} (default: %(default)s)")
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
        help="quick: about 15 min on a 2-core CPU; full: the real study, for a GPU "
        "(default: %(default)s)",
    )
    study.add_argument(
        "--classes", default=None, help="comma-separated subset of classes (folders, Food-101)"
    )
    study.add_argument("--seed", type=int, default=0)
    study.add_argument(
        "--backend",
        choices=backends,
        default=argparse.SUPPRESS,
        help=backend_help,
    )
    study.set_defaults(handler=cmd_study)
    return study


def cmd_study(args: argparse.Namespace) -> int:
    """Run the study and print where its page is."""
    import foodvision as fv

    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    result = fv.run_study(
        args.data,
        steps=args.steps,
        out_dir=args.out,
        profile=args.profile,
        seed=args.seed,
        classes=classes,
    )
    for step in result.summary["steps"]:
        low, high = step["test_accuracy_ci95"]
        print(
            f"step {step['step']} {step['model']:<16} test accuracy {step['test_accuracy']:.1%} "
            f"(95% CI {low:.1%}-{high:.1%})"
        )
    print(f"study page: {result.page}")
    return 0
