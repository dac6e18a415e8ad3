"""Augmentation speed: on the device (jitted, inside the step) against the tf.data paths.

Same run, same cached uint8 images (the training split of a class-per-folder tree), per
image size and preset:

- ``tf.data, Keras layers (before)``: the presets as they were built from Keras's own
  layers (RandomFlip/Rotation/Zoom/Translation/Contrast/Brightness; RandAugment without
  equalization, CutMix, MixUp), mapped one batch at a time (their random state advances
  per batch);
- ``tf.data, foodvision layers``: :func:`foodvision.apply_augmentation`: the same code as
  on the device, TensorFlow ops, a stateless seed per batch, a parallel map;
- ``device (jit)``: the preset's ``augment`` jitted with the Keras backend (JAX), each
  ``uint8`` batch put on the device first, as a train step receives it.

Then the loaders, alternating (ABBA): the tf.data pipeline against the array loader
(decoded once with Pillow into a uint8 array): the load (file check; the array loader's
check is its decode), the first epoch, and a cached epoch (median of 3).

Then the train-step cost and where augmentation should run: ``deeper_cnn`` trained by
:func:`foodvision.train` on the same images (128 px, a ``tf.data`` dataset of the decoded
arrays), without augmentation, with the "standard" preset on the device and with it in the
``tf.data`` map, in alternating runs, timing each run's second epoch (the first compiles),
and whether the train step stayed compiled (``jit_compile``). Run it once per backend.

Example:
    KERAS_BACKEND=jax python benchmarks/augment.py --sizes 128 224
"""

from __future__ import annotations

import argparse
import statistics
import time

import _common  # noqa: F401  (sets the backend before keras is imported)
import numpy as np
from _common import DEFAULT_DATA, machine_info, markdown_table, save_json

PRESETS = ("light", "standard", "strong")


def keras_preset(name: str, seed: int) -> list:
    """The presets as foodvision built them from Keras's layers before they ran on the device."""
    import keras

    class RandAugmentNoEqualization(keras.layers.RandAugment):
        _AUGMENT_LAYERS = [
            n for n in keras.layers.RandAugment._AUGMENT_LAYERS if n != "equalization"
        ]

    value_range = (0, 255)
    if name == "light":
        return [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(0.05, seed=seed + 1),
            keras.layers.RandomZoom(0.1, seed=seed + 2),
        ]
    if name == "standard":
        return [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(0.1, seed=seed + 1),
            keras.layers.RandomZoom(0.2, seed=seed + 2),
            keras.layers.RandomTranslation(0.1, 0.1, seed=seed + 3),
            keras.layers.RandomContrast(0.2, value_range=value_range, seed=seed + 4),
            keras.layers.RandomBrightness(0.2, value_range=value_range, seed=seed + 5),
        ]
    return [
        keras.layers.RandomFlip("horizontal", seed=seed),
        RandAugmentNoEqualization(value_range=value_range, num_ops=2, factor=0.5, seed=seed + 1),
        keras.layers.CutMix(factor=1.0, seed=seed + 2),
        keras.layers.MixUp(alpha=0.2, seed=seed + 3),
    ]


def cached_images(
    root: str, size: int, limit: int, seed: int
) -> tuple[np.ndarray, np.ndarray, int]:
    import foodvision as fv

    data = fv.load_image_folder(
        root, image_size=(size, size), batch_size=256, validation_split=0.0, seed=seed
    )
    images, labels = [], []
    for x, y in data.train:
        images.append(np.asarray(x))
        labels.append(np.asarray(y))
    images, labels = np.concatenate(images)[:limit], np.concatenate(labels)[:limit]
    return images, labels, data.num_classes


def tf_data_rate(images, labels, batch, augmentation, num_classes, repeats) -> list[float]:
    import tensorflow as tf

    import foodvision as fv

    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache().batch(batch)
    augmented = fv.apply_augmentation(dataset, augmentation, num_classes).prefetch(2)
    rates = []
    for round_ in range(repeats + 1):
        start = time.perf_counter()
        for x, _ in augmented:
            x.numpy()
        if round_:  # the first round traces the map
            rates.append(len(images) / (time.perf_counter() - start))
    return rates


def device_rate(images, batch, augmentation, repeats) -> list[float]:
    import jax

    augmentation.build(images.shape)

    @jax.jit
    def step(state, x):
        out, state = augmentation.stateless_call([], state, x, training=True)
        return state, out

    state = [v.value for v in augmentation.non_trainable_variables]
    starts = range(0, len(images) - batch + 1, batch)
    rates = []
    for round_ in range(repeats + 1):
        start = time.perf_counter()
        out = None
        for first in starts:
            state, out = step(state, jax.device_put(images[first : first + batch]))
        out.block_until_ready()
        if round_:  # the first round compiles
            rates.append(len(starts) * batch / (time.perf_counter() - start))
    return rates


def bench_presets(args, size: int) -> list[dict]:
    import foodvision as fv

    images, labels, num_classes = cached_images(args.data, size, args.limit, args.seed)
    rows = []
    for preset in PRESETS:
        before = fv.augmentation(keras_preset(preset, args.seed))
        after = fv.augmentation(preset, seed=args.seed)
        rates = {
            "tf.data, Keras layers (before)": tf_data_rate(
                images, labels, args.batch, before, num_classes, 1
            ),
            "tf.data, foodvision layers": tf_data_rate(
                images, labels, args.batch, after, num_classes, args.repeats
            ),
            "device (jit)": device_rate(
                images, args.batch, fv.augmentation(preset, seed=args.seed), args.repeats
            ),
        }
        for path, values in rates.items():
            row = {
                "size": size,
                "preset": preset,
                "path": path,
                "images_per_s": statistics.median(values),
            }
            print(row, flush=True)
            rows.append(row)
    return rows


def bench_loaders(args, size: int) -> list[dict]:
    import foodvision as fv

    def run(loader: str) -> dict[str, float]:
        start = time.perf_counter()
        data = fv.load_image_folder(
            args.data,
            image_size=(size, size),
            batch_size=32,
            validation_split=0.0,
            seed=args.seed,
            loader=loader,
        )
        loaded = time.perf_counter()
        count = sum(len(y) for _, y in data.train)
        first = time.perf_counter()
        cached = []
        for _ in range(3):
            if hasattr(data.train, "on_epoch_end"):
                data.train.on_epoch_end()
            began = time.perf_counter()
            for x, _ in data.train:
                np.asarray(x)
            cached.append(time.perf_counter() - began)
        return {
            "load_s": loaded - start,
            "first_epoch_s": first - loaded,
            "load_and_first_epoch_s": first - start,
            "cached_epoch_images_per_s": count / statistics.median(cached),
            "images": count,
        }

    runs: dict[str, list[dict]] = {"tf": [], "arrays": []}
    for loader in ("tf", "arrays", "arrays", "tf"):
        runs[loader].append(run(loader))
    rows = []
    for loader, results in runs.items():
        row = {"size": size, "loader": loader}
        for key in results[0]:
            row[key] = statistics.median(r[key] for r in results)
        print(row, flush=True)
        rows.append(row)
    return rows


def bench_training(args) -> list[dict]:
    import keras

    import foodvision as fv
    from foodvision.data import ImageData, make_array_dataset

    images, labels, num_classes = cached_images(args.data, 128, args.train_images, args.seed)
    names = tuple(str(i) for i in range(num_classes))
    data = ImageData(
        train=make_array_dataset(
            images, labels, batch_size=args.train_batch, shuffle=True, seed=args.seed
        ),
        val=None,
        test=None,
        class_names=names,
        counts={"train": dict(zip(names, np.bincount(labels, minlength=num_classes).tolist()))},
        image_size=(128, 128),
        batch_size=args.train_batch,
        labels_checked=True,
    )

    class Timer(keras.callbacks.Callback):
        """Seconds of the second epoch of a run (the first one compiles), and the jit flag."""

        def __init__(self) -> None:
            super().__init__()
            self.seconds: list[float] = []
            self.jit: bool | None = None

        def on_train_begin(self, logs=None):
            self.jit = bool(self.model.jit_compile)

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.seconds.append(time.perf_counter() - self.start)

    setups = {
        "no augmentation": (None, "auto"),
        '"standard" on the device': ("standard", "device"),
        '"standard" in the tf.data map': ("standard", "pipeline"),
    }
    timers = {name: Timer() for name in setups}
    for _ in range(args.train_rounds):  # ABCABC: the machine's drift hits all alike
        for name, (preset, where) in setups.items():
            model = fv.build_model("deeper_cnn", num_classes=num_classes, input_shape=(128, 128, 3))
            fv.train(
                model,
                data,
                epochs=2,
                augmentation=preset,
                augment_on=where,
                callbacks=[timers[name]],
                verbose=0,
                seed=args.seed,
            )
    plain = len(images) / statistics.median(timers["no augmentation"].seconds)
    rows = []
    for name, timer in timers.items():
        speed = len(images) / statistics.median(timer.seconds)
        rows.append(
            {
                "backend": keras.backend.backend(),
                "setup": name,
                "images_per_s": speed,
                "ratio_to_plain": speed / plain,
                "jit_compile": timer.jit,
                "epochs_timed": len(timer.seconds),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="class-per-folder tree or Food-101")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--limit", type=int, default=1024, help="images per augmentation epoch")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-images", type=int, default=640)
    parser.add_argument("--train-batch", type=int, default=32)
    parser.add_argument("--train-rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["presets", "loaders", "training"],
        choices=["presets", "loaders", "training"],
    )
    parser.add_argument("--out", default="benchmarks/results/augment.json")
    args = parser.parse_args()
    import os

    images = os.path.join(args.data, "images")
    args.data = images if os.path.isdir(images) else args.data
    start = time.perf_counter()
    parts = set(args.parts)
    presets = (
        [r for size in args.sizes for r in bench_presets(args, size)] if "presets" in parts else []
    )
    loaders = (
        [r for size in args.sizes for r in bench_loaders(args, size)] if "loaders" in parts else []
    )
    training = bench_training(args) if "training" in parts else []
    print(markdown_table(presets, ["size", "preset", "path", "images_per_s"]))
    columns = ["size", "loader", "load_s", "first_epoch_s", "load_and_first_epoch_s"]
    print(markdown_table(loaders, [*columns, "cached_epoch_images_per_s"]))
    print(
        markdown_table(
            training, ["backend", "setup", "images_per_s", "ratio_to_plain", "jit_compile"]
        )
    )
    payload = {
        "machine": machine_info(),
        "arguments": vars(args),
        "augmentation": presets,
        "loaders": loaders,
        "training": training,
        "seconds": time.perf_counter() - start,
    }
    print(f"saved {save_json(args.out, payload)}")


if __name__ == "__main__":
    main()
