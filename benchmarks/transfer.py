"""VGG16 fine-tuning on a Food-101-layout folder: feature caching vs the naive fit.

In one run, on the same data and model:

1. naive frozen-base training: median time of ``--timed-batches`` training steps of the
   whole model with the base frozen (phase 1 the naive way), scaled to an epoch;
2. naive phase 2 (block 5 trainable): the same, with ``trainable_blocks=1``;
3. ``fv.fine_tune`` with feature caching: the one-off pass through the frozen prefix,
   then full epochs of phase 1 (head on cached block-5 features) and phase 2 (block 5 +
   head on cached block-4 outputs), timed per epoch;
4. the fine-tuned model's accuracy on the official test split.

Example:
    KERAS_BACKEND=tensorflow python benchmarks/transfer.py --image-size 224
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import _common  # noqa: F401  (sets the backend before keras is imported)
import keras
import numpy as np
from _common import DEFAULT_DATA, machine_info, markdown_table, save_json

import foodvision as fv

DEFAULT_WEIGHTS = os.environ.get(
    "FOODVISION_WEIGHTS_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "weights")
)


def naive_step_seconds(model, data, trainable_blocks, batches):
    """Median seconds of one training step of the whole model (after a warm-up step)."""
    fv.set_trainable_blocks(model, trainable_blocks)
    model.compile(keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy")
    iterator = data.train.as_numpy_iterator()
    x, y = next(iterator)
    model.train_on_batch(x, y)  # compile
    seconds = []
    for _ in range(batches):
        x, y = next(iterator)
        start = time.perf_counter()
        model.train_on_batch(x, y)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), min(seconds), max(seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument(
        "--weights", default=os.path.join(DEFAULT_WEIGHTS, "vgg16_imagenet_notop.weights.h5")
    )
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--head-epochs", type=int, default=5)
    parser.add_argument("--finetune-epochs", type=int, default=5)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--finetune-learning-rate", type=float, default=1e-5)
    parser.add_argument("--timed-batches", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--save-model",
        default=None,
        metavar="PATH.keras",
        help="also save the fine-tuned model (its class names inside, fv.save_model)",
    )
    parser.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results" / f"transfer_{keras.backend.backend()}.json"),
    )
    args = parser.parse_args()

    size = (args.image_size, args.image_size)
    data = fv.load_food101(
        args.data, image_size=size, batch_size=args.batch_size, validation_split=0.2, seed=args.seed
    )
    steps = -(-sum(data.counts["train"].values()) // args.batch_size)
    keras.utils.set_random_seed(args.seed)
    model = fv.build_model(
        "vgg16_finetune", num_classes=data.num_classes, input_shape=(*size, 3), weights=args.weights
    )
    initial = model.get_weights()
    naive_head = naive_step_seconds(model, data, 0, args.timed_batches)
    naive_tune = naive_step_seconds(model, data, 1, args.timed_batches)
    model.set_weights(initial)

    result = fv.fine_tune(
        model,
        data,
        args.head_epochs,
        args.finetune_epochs,
        trainable_blocks=1,
        learning_rate=args.learning_rate,
        finetune_learning_rate=args.finetune_learning_rate,
        seed=args.seed,
        verbose=2,
    )
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    test_loss, test_accuracy = model.evaluate(data.test, verbose=0)

    head_epoch = result.epoch_seconds["head"]
    tune_epoch = result.epoch_seconds["finetune"]
    rows = [
        {
            "phase": "1: head, frozen base",
            "naive_epoch_s": naive_head[0] * steps,
            "cached_epoch_s": statistics.median(head_epoch),
            "speedup": naive_head[0] * steps / statistics.median(head_epoch),
        },
        {
            "phase": "2: block 5 + head",
            "naive_epoch_s": naive_tune[0] * steps,
            "cached_epoch_s": statistics.median(tune_epoch),
            "speedup": naive_tune[0] * steps / statistics.median(tune_epoch),
        },
    ]
    print(markdown_table(rows, ["phase", "naive_epoch_s", "cached_epoch_s", "speedup"]))
    print(
        f"one-off feature pass: {result.feature_seconds:.1f} s; "
        f"test accuracy {test_accuracy:.4f}, loss {test_loss:.4f}"
    )
    payload = {
        "benchmark": "transfer",
        "data": Path(args.data).name,
        "settings": {  # file names only: no machine paths in saved results
            **vars(args),
            **{
                k: Path(v).name
                for k in ("data", "weights", "out", "save_model")
                if (v := getattr(args, k))
            },
        },
        "machine": machine_info(),
        "steps_per_epoch": steps,
        "naive_step_seconds": {"head": naive_head, "block5": naive_tune},
        "cached_epoch_seconds": {"head": head_epoch, "block5": tune_epoch},
        "feature_pass_seconds": result.feature_seconds,
        "rows": rows,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "val_accuracy": {
            "head": result.head.history["val_accuracy"],
            "finetune": result.finetune.history["val_accuracy"],
        },
        "test_images": int(np.sum(list(data.counts["test"].values()))),
    }
    print(f"saved {save_json(args.out, payload)}")
    if args.save_model:
        facts = fv.describe_model(
            model,
            data.class_names,
            metrics={"test_accuracy": float(test_accuracy)},
        )
        fv.save_model(model, args.save_model, facts)


if __name__ == "__main__":
    main()
