"""Validation-only comparisons behind the study's settings (never the test split).

Trains variants of a study step under a profile's settings on several seeds (each
seed redraws the validation split and seeds the training) and prints each variant's
validation score. For the scratch CNNs that is the mean validation accuracy of their
last epochs, the score the step-4 search uses (the final model's accuracy, alone and
with the test-time flip, is printed beside it); for step 5 it is the accuracy of the
final model (the weight average, when phase 2 averages) on the validation split, alone
and with the test-time flip. The test split is left out of the data before training:
it is never evaluated.

Comparisons (``--compare``):

- ``heads``: steps 2 and 3 with a flatten head (the first version) against global
  average pooling.
- ``batch_norm``: steps 2 and 3 without and with batch normalisation after each
  convolution.
- ``step3_fit``: step 3 as it is (spatial dropout 0.1, dense dropout 0.5), which
  ends with its training accuracy no higher than its validation accuracy (under-fitting
  under "standard" augmentation), against lighter dropout (no spatial dropout, dense
  0.2), with and without batch normalisation.
- ``step3_capacity``: step 3 wider (48 filters in the first block instead of 32) or
  with two convolutions per block, its dropout and augmentation unchanged; and two
  convolutions per block with the ``step3_fit`` variant that scored best (batch norm,
  dense dropout 0.2, no spatial dropout).
- ``transfer``: step 5's phase 2 as the first full profile had it (blocks 4-5 at a
  constant 2e-5, "light" augmentation, the mean of the last 10 of 15 epochs), against
  a cosine schedule from a higher peak with label smoothing, then three blocks and
  more epochs, then "standard" augmentation too; one change at a time. Last, the
  three blocks at rates falling by half per block below the top one (block 4 at a
  half, block 3 at a quarter of the rate; the half is the usual first choice, not
  tuned).
- ``test_time``: step 5 as the profile trains it, scored alone and with test-time views.
- ``train_share``: step 5 as the profile trains it on half, 80 % and all of the
  training split (stratified, the same images every epoch), scored on the same
  validation split: the learning curve behind ``transfer_refit``, whose final fit has
  25 % more images than the validated run (the validation split joined), as 1500 has
  over 1200, scored on the image alone. Needs the array loader (chosen for it).

Example:
    python benchmarks/study_choices.py --compare heads --profile quick --seeds 3
    python benchmarks/study_choices.py --compare transfer --profile full --seeds 2
    python benchmarks/study_choices.py --compare step3_capacity --profile full \
        --seeds 1 --only "two convolutions"

Long comparisons resume: with ``--resume DIR`` the runs already saved in the JSON
are kept and skipped, and an interrupted step-5 run keeps its checkpoints in ``DIR``
and goes on from its last finished epoch when the same command is repeated::

    python benchmarks/study_choices.py --compare transfer --profile full --seeds 2 \
        --resume runs/study_choices

``--precision`` overrides the profile's dtype policy for every run (and is part of
what a resumed JSON must match).

Step 5's runs also keep their validation probabilities in a ``.probabilities.npz``
beside the JSON; at the end, the variants that ran on the same seed are scored as one
ensemble (the mean of their probabilities) against the mean of their own scores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
import numpy as np
from _common import DEFAULT_DATA, machine_info, markdown_table, save_json

import foodvision as fv
from foodvision.apps.study.search import score_epochs, smoothed_score
from foodvision.base.option_names import PRECISIONS

PHASE2_BEFORE = {
    "trainable_blocks": 2,
    "finetune_learning_rate": 2e-5,
    "finetune_schedule": "constant",
    "finetune_warmup_epochs": 0,
    "finetune_epochs": 15,
    "finetune_average_epochs": 10,
    "transfer_augmentation": "light",
    "transfer_label_smoothing": 0.0,
}
"""Step 5's phase 2 as the full profile had it (profile fields)."""
PHASE2_COSINE = {
    **PHASE2_BEFORE,
    "finetune_learning_rate": 5e-5,
    "finetune_schedule": "cosine",
    "finetune_warmup_epochs": 1,
    "finetune_average_epochs": 5,
    "transfer_label_smoothing": 0.1,
}
"""A cosine after a warm-up epoch, with label smoothing. Its peak, 5e-5, lies between
2e-5 (fine) and 1e-4 (too fast: a constant 1e-4 dropped blocks 4-5's validation accuracy
to 75 %); its mean rate is about 2.5e-5. Every variant ends on the mean of its last
epochs' weights, so no variant's score is its best epoch picked on these same
validation images."""
PHASE2_DEEPER = {**PHASE2_COSINE, "trainable_blocks": 3, "finetune_epochs": 20}
"""That with blocks 3-5 trainable and more epochs."""

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
    "step3_fit": [
        (
            "step 3 + batch norm, dropout 0.2, no spatial dropout",
            3,
            {"batch_norm": True, "spatial_dropout": 0.0, "dropout": 0.2},
        ),
        ("step 3, dropout 0.2, no spatial dropout", 3, {"spatial_dropout": 0.0, "dropout": 0.2}),
        ("step 3 (spatial dropout 0.1, dropout 0.5)", 3, {}),
    ],
    "step3_capacity": [
        ("step 3, 48 filters in the first block (32)", 3, {"filters": 48}),
        ("step 3, two convolutions per block (one)", 3, {"convs_per_block": 2}),
        (
            "step 3 + batch norm, two convolutions per block, dropout 0.2, no spatial dropout",
            3,
            {"batch_norm": True, "convs_per_block": 2, "spatial_dropout": 0.0, "dropout": 0.2},
        ),
    ],
    "transfer": [
        ("2 blocks, constant 2e-5, 15 epochs (mean of last 10), light", 5, PHASE2_BEFORE),
        (
            "2 blocks, cosine 5e-5, 15 epochs (mean of last 5), light, smoothing 0.1",
            5,
            PHASE2_COSINE,
        ),
        (
            "3 blocks, cosine 5e-5, 20 epochs (mean of last 5), light, smoothing 0.1",
            5,
            PHASE2_DEEPER,
        ),
        (
            "3 blocks, cosine 5e-5, 20 epochs (mean of last 5), standard, smoothing 0.1",
            5,
            {**PHASE2_DEEPER, "transfer_augmentation": "standard"},
        ),
        (
            "3 blocks, cosine 5e-5, 20 epochs (mean of last 5), light, smoothing 0.1, "
            "rate decay 0.5",
            5,
            {**PHASE2_DEEPER, "finetune_rate_decay": 0.5},
        ),
    ],
    "test_time": [("step 5 as the profile trains it", 5, {})],
    "train_share": [
        ("step 5 on half the training images", 5, {"train_share": 0.5}),
        ("step 5 on 80 % of the training images", 5, {"train_share": 0.8}),
        ("step 5 on all the training images", 5, {}),
    ],
}
"""Per comparison: (variant, study step, options): model options for steps 1-4, profile
fields for step 5."""

TEST_TIME_VIEWS = {"": None, " + test-time flip": "flip", " + test-time flip, zoom": "flip,zoom"}
"""Rows of each step-5 variant: the same trained model scored alone and with these
test-time views (name suffix: views)."""


def training_share(data, share, seed):
    """``data`` with ``share`` of each class's training images (array splits), drawn by ``seed``."""
    if not hasattr(data.train, "rows"):
        raise SystemExit("a share of the training split needs the array loader: --loader arrays")
    labels = data.train.labels
    rng = np.random.default_rng([seed, 1])
    keep = np.sort(
        np.concatenate(
            [
                rng.permutation(np.flatnonzero(labels == c))[: round(share * np.sum(labels == c))]
                for c in range(data.num_classes)
            ]
        )
    )
    train = data.train.replace(labels=labels[keep], rows=data.train.rows[keep])
    counts = dict(zip(data.class_names, np.bincount(labels[keep], minlength=data.num_classes)))
    return dataclasses.replace(
        data, train=train, counts={**data.counts, "train": {k: int(v) for k, v in counts.items()}}
    )


def run_transfer_variant(data, profile, options, seed, folder=None, views=TEST_TIME_VIEWS):
    """Train step 5 with these profile fields; the final model's validation accuracies.

    ``options`` may hold ``train_share``: train on that share of the training split.
    ``folder``: where the run keeps its checkpoints, so that an interrupted run resumes
    there; the caller removes it once the scores are saved. ``None``: a temporary
    folder, removed here.
    """
    from foodvision.apps.study.steps import StepContext, run_transfer

    options = dict(options)
    share = options.pop("train_share", None)
    if share is not None:
        data = training_share(data, share, seed)
    profile = dataclasses.replace(profile, **options)
    row = fv.study_plan(profile, steps=[5])[0]
    temporary = folder is None
    folder = Path(tempfile.mkdtemp(prefix="study_choices_")) if temporary else Path(folder)
    start = time.perf_counter()
    try:
        outcome = run_transfer(row, StepContext(data, profile, seed, folder, 0))
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    seconds = time.perf_counter() - start
    epochs = len(outcome.history["loss"])
    rows = []
    for tta in views.values():
        report = fv.evaluate(
            outcome.model, data.val, data.class_names, interpret=False, tta=tta or False
        )
        score = report.tta["accuracy"] if report.tta else report.accuracy
        # seconds: of this sitting; a resumed run trained only epochs_this_run of its epochs
        rows.append(
            {
                "score": score,
                "epochs": epochs,
                "seconds": seconds,
                "resumed": outcome.epochs_this_run < epochs,
                "probabilities": report.tta["probabilities"] if tta else report.probabilities,
                "labels": report.labels,
            }
        )
    return rows


def probabilities_file(out):
    """Where the validation probabilities of the runs saved in ``out`` are kept."""
    return Path(out).with_suffix(".probabilities.npz")


def save_probabilities(out, seed, variant, result):
    """Move a step-5 run's validation probabilities from ``result`` into the file beside ``out``.

    They let variants trained on the same split be scored as one ensemble later.
    """
    path = probabilities_file(out)
    saved = dict(np.load(path)) if path.exists() else {}
    saved[f"seed{seed} labels"] = result.pop("labels")
    saved[f"seed{seed} {variant}"] = result.pop("probabilities")
    np.savez_compressed(path, **saved)


def variant_ensembles(out, rows):
    """Per seed, the plain (no test-time views) variants of step 5 as one ensemble.

    The mean of their validation probabilities, scored against the mean of their own
    scores: what averaging models that differ in seed and recipe adds on this split.
    """
    path = probabilities_file(out)
    if not path.exists():
        return []
    saved = np.load(path)
    ensembles = []
    for seed in sorted({row["seed"] for row in rows}):
        names = [
            row["variant"]
            for row in rows
            if row["seed"] == seed
            and not row["variant"].endswith(tuple(s for s in TEST_TIME_VIEWS if s))
            and f"seed{seed} {row['variant']}" in saved
        ]
        if len(names) < 2:
            continue
        labels = saved[f"seed{seed} labels"]
        mean = np.mean([saved[f"seed{seed} {name}"] for name in names], axis=0)
        scores = [row["score"] for row in rows if row["seed"] == seed and row["variant"] in names]
        ensembles.append(
            {
                "seed": seed,
                "members": names,
                "ensemble score": float(np.mean(mean.argmax(axis=1) == labels)),
                "mean member score": statistics.mean(scores),
            }
        )
    return ensembles


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
        precision=profile.precision,
        distribution=profile.distribution,
        steps_per_execution=profile.steps_per_execution,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    curve = history.history["val_accuracy"]
    final = fv.evaluate(model, data.val, data.class_names, interpret=False, tta="flip")
    return {
        "score": smoothed_score(curve, score_epochs(row.epochs)),
        "epochs": len(curve),
        "seconds": seconds,
        "final_accuracy": final.accuracy,
        "final_accuracy_flip": final.tta["accuracy"],
        "val_accuracy": [round(float(v), 4) for v in curve],
    }


def _final_scores(result):
    """The final model's validation accuracy alone and with the flip, where scored."""
    if "final_accuracy" not in result:
        return ""
    return (
        f"; final model {result['final_accuracy']:.4f}, "
        f"with the test-time flip {result['final_accuracy_flip']:.4f}"
    )


def saved_runs(path, args, profile):
    """The runs an earlier call of the same comparison saved in ``path`` (none: []).

    The file must be of the same data, profile, comparison and (``profile``'s) precision.
    """
    if not Path(path).exists():
        return []
    saved = json.loads(Path(path).read_text())
    same = {
        "data": Path(args.data).name,
        "profile": args.profile,
        "compare": args.compare,
        "precision": fv.resolve_precision(profile.precision),
    }
    differs = {k: saved.get(k) for k, v in same.items() if saved.get(k, v) != v}
    if differs:
        raise SystemExit(f"{path} holds another comparison ({differs}); choose --out")
    return saved["runs"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--compare", choices=tuple(COMPARISONS), default="heads")
    parser.add_argument("--profile", choices=tuple(fv.PROFILES), default="quick")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--loader", choices=("auto", "tf", "arrays"), default="auto")
    parser.add_argument("--only", default=None, help="run the variants whose name holds this")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=None,
        help="dtype policy of every run (default: the profile's)",
    )
    parser.add_argument("--out", default=None, help="JSON path (default: results/...)")
    parser.add_argument(
        "--resume",
        metavar="DIR",
        default=None,
        help="skip the runs already saved in the JSON; unfinished step-5 runs keep their "
        "checkpoints in DIR and go on from there when the command is repeated",
    )
    args = parser.parse_args()
    if args.compare == "train_share":
        args.loader = "arrays"
    profile = fv.PROFILES[args.profile]
    if args.precision is not None:
        profile = dataclasses.replace(profile, precision=args.precision)
    out = args.out or f"{_common.REPO}/benchmarks/results/study_choices_{args.compare}.json"
    payload = {
        "machine": machine_info(),
        "data": Path(args.data).name,  # the dataset, not where it lies
        "profile": args.profile,
        "compare": args.compare,
        "precision": fv.resolve_precision(profile.precision),
        "runs": saved_runs(out, args, profile) if args.resume else [],
    }
    rows = payload["runs"]
    variants = [v for v in COMPARISONS[args.compare] if args.only is None or args.only in v[0]]
    if not variants:
        parser.error(f"no variant of {args.compare!r} has {args.only!r} in its name")
    transfer = all(step == 5 for _, step, _ in variants)
    side = profile.transfer_image_size if transfer else profile.scratch_image_size
    for seed in range(args.seeds):
        done = {row["variant"] for row in rows if row["seed"] == seed}
        variants_left = [v for v in variants if v[0] not in done]
        if not variants_left:
            continue
        data = fv.load_data(
            args.data,
            image_size=(side, side),
            batch_size=profile.batch_size,
            seed=seed,
            loader=args.loader,
        )
        data = dataclasses.replace(  # the test split is never evaluated: leave it out
            data, test=None, counts={k: v for k, v in data.counts.items() if k != "test"}
        )
        for name, step, options in variants_left:
            if transfer:
                views = TEST_TIME_VIEWS if args.compare != "train_share" else {"": None}
                names = [name + suffix for suffix in views]
                folder = None
                if args.resume:
                    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
                    folder = Path(args.resume) / args.compare / f"seed{seed}" / slug
                scores = run_transfer_variant(data, profile, options, seed, folder, views)
                results = zip(names, scores)
            else:
                folder = None
                results = [(name, run_variant(data, profile, step, options, seed))]
            for variant, result in results:
                if "probabilities" in result:
                    save_probabilities(out, seed, variant, result)
                rows.append({"variant": variant, "seed": seed, **result})
                print(
                    f"seed {seed} {variant}: validation score {result['score']:.4f} "
                    f"({result['epochs']} epochs, {result['seconds']:.0f} s"
                    + (" in this sitting, resumed" if result.get("resumed") else "")
                    + ")"
                    + _final_scores(result),
                    flush=True,
                )
            save_json(out, payload)  # after every run: an interrupted comparison keeps its runs
            if folder is not None:  # its scores are saved: its checkpoints can go
                shutil.rmtree(folder, ignore_errors=True)
    table = []
    for name in dict.fromkeys(row["variant"] for row in rows):
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
    ensembles = variant_ensembles(out, rows)
    for ensemble in ensembles:
        print(
            f"seed {ensemble['seed']}: the {len(ensemble['members'])} variants as one ensemble "
            f"{ensemble['ensemble score']:.4f} (their mean {ensemble['mean member score']:.4f})"
        )
    save_json(out, {**payload, "summary": table, "variant_ensembles": ensembles})
    print(f"saved {out}")


if __name__ == "__main__":
    main()
