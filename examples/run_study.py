"""The whole five-step study in one call: a report per step, summary.json, study.html.

python examples/run_study.py                                  # built-in data, quick
python examples/run_study.py --data path/to/food-101 --steps 1,3,5 --profile full
python examples/run_study.py --epochs 2 --image-size 32       # a smoke test
python examples/run_study.py --data path/to/food-101 --seeds 5  # 5 seeds, paired comparisons
"""

import argparse
import dataclasses
import os

import foodvision as fv

_BACKEND = fv.choose_backend(None)  # KERAS_BACKEND, else "auto"
os.environ["KERAS_BACKEND"] = _BACKEND.name  # before Keras is imported
print(f"[example] {_BACKEND.describe()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--out", default="runs/study")
    parser.add_argument("--steps", default="1,2,3,4,5", help="comma-separated step numbers")
    parser.add_argument("--profile", default="quick", choices=sorted(fv.PROFILES))
    parser.add_argument(
        "--epochs",
        type=int,
        help="shrink the study: every step's epochs to N (phase 2 of step 5 to at most N), "
        "at most 2 search trials",
    )
    parser.add_argument("--image-size", type=int, help="override every step's image size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=1, help="seeds per step (default 1)")
    args = parser.parse_args()
    profile = fv.PROFILES[args.profile]
    if args.epochs:  # a custom profile: the study's plan stays the same, only smaller
        epochs = dict.fromkeys(profile.epochs, args.epochs)
        profile = dataclasses.replace(
            profile,
            name=f"{profile.name}, {args.epochs} epochs",
            epochs=epochs,
            head_epochs=args.epochs,
            finetune_epochs=min(profile.finetune_epochs, args.epochs),
            tuning_epochs=args.epochs,
            tuning_trials=min(profile.tuning_trials, 2),
        )
    if args.image_size:
        profile = dataclasses.replace(
            profile, scratch_image_size=args.image_size, transfer_image_size=args.image_size
        )
    steps = [int(s) for s in args.steps.split(",")]
    result = fv.run_study(
        args.data, steps=steps, out_dir=args.out, profile=profile, seed=args.seed, seeds=args.seeds
    )
    for step in result.summary["steps"]:
        print(f"step {step['step']}: {step['model']:<16} {step['test_accuracy']:.1%}")
    print(f"study page: {result.page}")


if __name__ == "__main__":
    main()
