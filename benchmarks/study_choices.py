"""Validation-only comparisons behind the study's settings (never the test split).

Trains variants of a study step under a profile's settings on several seeds (each
seed redraws the validation split and seeds the training) and prints each variant's
validation score: the mean validation accuracy of its last epochs, the score the
step-4 search uses. The test split is never evaluated.

Comparisons (``--compare``):

- ``heads``: steps 2 and 3 with a flatten head (the first version) against global
  average pooling.
- ``batch_norm``: steps 2 and 3 without and with batch normalisation after each
  convolution.

Example:
    python benchmarks/study_choices.py --compare heads --profile quick --seeds 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
from _common import DEFAULT_DATA, machine_info, markdown_table, save_json

import foodvision as fv
from foodvision.apps.study.search import score_epochs, smoothed_score

COMPARISONS = {
    "heads": [
        ("step 2, flatten head", 2, {"pooling": "flatten"}),
        ("step 2, average-pooling head", 2, {"pooling": "avg"}),
        ("step 3, flatten head", 3, {"pooling": "flatten"}),
        ("step 3, average-pooling head", 3, {"pooling": "avg"}),
    ],
    "batch_norm": [
        ("step 2", 2, {"batch_norm": False}),
        ("step 2 + batch norm", 2, {"batch_norm": True}),
        ("step 3", 3, {"batch_norm": False}),
        ("step 3 + batch norm", 3, {"batch_norm": True}),
    ],
}
"""Per comparison: (variant, study step, model options)."""


def run_variant(data, profile, step, options, seed):
    """Train one variant of a study step; its validation score and curve."""
    row = fv.study_plan(profile, steps=[step])[0]
    model = fv.build_model(
        row.model, num_classes=data.num_classes, input_shape=(*data.image_size, 3), **options
    )
    start = time.perf_counter()
    history = fv.train(
        model,
        data,
        epochs=row.epochs,
        learning_rate=profile.learning_rate,
        schedule=profile.schedule,
        warmup_epochs=profile.warmup_epochs,
        augmentation=row.augmentation,
        augment_on=profile.augment_on,
        early_stopping=profile.early_stopping,
        seed=seed,
        verbose=0,
    )
    curve = history.history["val_accuracy"]
    return {
        "score": smoothed_score(curve, score_epochs(row.epochs)),
        "epochs": len(curve),
        "seconds": time.perf_counter() - start,
        "val_accuracy": [round(float(v), 4) for v in curve],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--compare", choices=tuple(COMPARISONS), default="heads")
    parser.add_argument("--profile", choices=tuple(fv.PROFILES), default="quick")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=None, help="JSON path (default: results/...)")
    args = parser.parse_args()
    profile = fv.PROFILES[args.profile]
    out = args.out or f"{_common.REPO}/benchmarks/results/study_choices_{args.compare}.json"
    payload = {
        "machine": machine_info(),
        "data": Path(args.data).name,  # the dataset, not where it lies
        "profile": args.profile,
        "compare": args.compare,
        "runs": [],
    }
    rows = payload["runs"]
    for seed in range(args.seeds):
        data = fv.load_data(
            args.data,
            image_size=(profile.scratch_image_size,) * 2,
            batch_size=profile.batch_size,
            seed=seed,
        )
        for name, step, options in COMPARISONS[args.compare]:
            result = run_variant(data, profile, step, options, seed)
            rows.append({"variant": name, "seed": seed, **result})
            save_json(out, payload)  # after every run: an interrupted comparison keeps its runs
            print(
                f"seed {seed} {name}: validation score {result['score']:.4f} "
                f"({result['epochs']} epochs, {result['seconds']:.0f} s)",
                flush=True,
            )
    table = []
    for name, _, _ in COMPARISONS[args.compare]:
        scores = [r["score"] for r in rows if r["variant"] == name]
        table.append(
            {
                "variant": name,
                "mean score %": 100 * statistics.mean(scores),
                "sd %": 100 * statistics.stdev(scores) if len(scores) > 1 else 0.0,
                "seeds": len(scores),
            }
        )
    print(markdown_table(table, ["variant", "mean score %", "sd %", "seeds"]))
    save_json(out, {**payload, "summary": table})
    print(f"saved {out}")


if __name__ == "__main__":
    main()
