"""Training speed on one accelerator, with keras and foodvision only (no TensorFlow).

Runs on the JAX backend. Every case trains with Keras's own ``fit`` on batches that stay on
the device (the same ``uint8`` batch every step: the numbers are the model's, not the
input pipeline's), in mixed bfloat16 unless ``--precision`` says otherwise, and reports:

- images/s of a steady epoch (the first epoch compiles; ``compile_s`` is the first epoch's
  time minus a steady one's);
- model-FLOPs utilisation (MFU): the model's analytic training FLOPs per image (convolutions
  and dense layers: forward, plus twice the forward of every layer from the first trainable
  one on, for the gradients) x images/s / the device's peak dense bf16 rate;
- VGG16 (``vgg16_finetune``, random weights: speed does not depend on them) at 224 px,
  all blocks trainable and the top two, each without and with the "standard" augmentation
  inside the compiled step (:class:`foodvision.training.device_augmentation.AugmentingModel`);
- the study's small CNNs at 64 and 128 px with device augmentation;
- VGG16 (top two blocks, augmentation) once more through :func:`foodvision.train` from
  ``uint8`` arrays in host memory: what the input path and the library's callbacks cost;
- then the quick study end to end on the built-in data with the array loader
  (``--parts study``), as ``foodvision study`` runs it.

Example:
    KERAS_BACKEND=jax python benchmarks/gpu.py --out benchmarks/results/gpu.json
    KERAS_BACKEND=jax python benchmarks/gpu.py --parts models --steps 5 --batch 8  # a CPU check
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import _common  # noqa: E402,F401  (sets the backend before keras is imported)
from _common import machine_info, markdown_table, save_json  # noqa: E402

from foodvision.apps.bench.cases import device_peak_flops, training_flops  # noqa: E402


class EpochClock:
    """Wall time of every epoch; reading the loss at its end waits for the device."""

    def __init__(self):
        import keras

        clock = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                clock.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                float(logs["loss"])  # the last step is done
                clock.seconds.append(time.perf_counter() - clock.start)

        self.seconds: list[float] = []
        self.callback = Callback()


def time_training(name, size, batch, steps, epochs, precision, augmentation, trainable_blocks):
    """Train ``name`` on one device-resident batch; return its row of the table."""
    import jax
    import keras
    import numpy as np

    import foodvision as fv
    from foodvision.training.device_augmentation import AugmentingModel, compile_like
    from foodvision.training.placement import training_copy

    keras.backend.clear_session()
    classes = 5
    options = {"weights": None} if name == "vgg16_finetune" else {}
    model = fv.build_model(name, num_classes=classes, input_shape=(size, size, 3), **options)
    if trainable_blocks is None:
        model.trainable = True  # every layer, the pretrained base too
    else:
        fv.set_trainable_blocks(model, trainable_blocks)
    flops = training_flops(model)
    rng = np.random.default_rng(0)
    images = jax.device_put(rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8))
    labels = jax.device_put(rng.integers(0, classes, batch).astype("int32"))

    def batches():
        while True:
            yield images, labels

    clock = EpochClock()
    with training_copy(model, precision) as net:
        net.compile(
            optimizer=keras.optimizers.Adam(1e-4),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        if augmentation:
            net = AugmentingModel(net, fv.augmentation(augmentation, seed=0), classes)
            compile_like(net, net.classifier)
        net.fit(
            batches(), steps_per_epoch=steps, epochs=epochs, callbacks=[clock.callback], verbose=0
        )
    steady = min(clock.seconds[1:])
    per_second = steps * batch / steady
    peak = device_peak_flops(jax.devices()[0].device_kind)
    return {
        "model": name,
        "size": size,
        "batch": batch,
        "trainable": "all" if trainable_blocks is None else f"top {trainable_blocks} blocks",
        "augmentation": augmentation or "none",
        "precision": precision,
        "images_per_s": round(per_second, 1),
        "train_gflops_per_image": round(flops / 1e9, 2),
        "mfu_percent": round(100 * flops * per_second / peak, 1) if peak else None,
        "compile_s": round(clock.seconds[0] - steady, 1),
    }


def time_fv_train(size, batch, steps, precision, augmentation, trainable_blocks):
    """The same VGG16 case through ``fv.train`` from ``uint8`` arrays in host memory.

    Every batch then goes from host memory to the device, through an
    :class:`~foodvision.data.array_split.ArraySplit`, with the library's callbacks: the
    difference to the device-resident row is what the input path costs.
    """
    import keras
    import numpy as np

    import foodvision as fv

    keras.backend.clear_session()
    model = fv.build_model(
        "vgg16_finetune", num_classes=5, input_shape=(size, size, 3), weights=None
    )
    fv.set_trainable_blocks(model, trainable_blocks)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (steps * batch, size, size, 3), dtype=np.uint8)
    labels = rng.integers(0, 5, steps * batch).astype("int32")
    clock = EpochClock()
    fv.train(
        model,
        (images, labels),
        epochs=3,
        batch_size=batch,
        learning_rate=1e-4,
        augmentation=augmentation,
        precision=precision,
        callbacks=[clock.callback],
        verbose=0,
    )
    steady = min(clock.seconds[1:])
    return {
        "model": "vgg16_finetune via fv.train (host arrays)",
        "size": size,
        "batch": batch,
        "trainable": f"top {trainable_blocks} blocks",
        "augmentation": augmentation,
        "precision": precision,
        "images_per_s": round(steps * batch / steady, 1),
        "compile_s": round(clock.seconds[0] - steady, 1),
    }


def model_cases(args) -> list[tuple]:
    """(name, size, batch, trainable blocks, augmentation) of every case."""
    cases = []
    for blocks in (None, 2):
        for augmentation in (None, "standard"):
            cases.append(("vgg16_finetune", 224, args.batch, blocks, augmentation))
    for name in ("baseline_cnn", "deeper_cnn", "augmented_cnn"):
        for size in (64, 128):
            cases.append((name, size, args.batch, None, "standard"))
    return cases


def run_study(out_dir: str) -> dict:
    """The quick study on the built-in data with the array loader; its time and accuracies."""
    import foodvision as fv

    start = time.perf_counter()
    result = fv.run_study("synthetic", profile="quick", out_dir=out_dir, loader="arrays")
    summary = result.summary
    return {
        "profile": "quick",
        "seconds": round(time.perf_counter() - start, 1),
        "precision": summary["precision"],
        "test_accuracy": {s["step"]: round(s["test_accuracy"], 4) for s in summary["steps"]},
        "train_seconds": {s["step"]: round(s["train_seconds"], 1) for s in summary["steps"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", nargs="+", default=["models", "study"], choices=["models", "study"]
    )
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=30, help="steps per timed epoch")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per case (first compiles)")
    parser.add_argument("--precision", default="mixed_bfloat16")
    parser.add_argument("--study-dir", default="runs/gpu_study")
    parser.add_argument("--out", default="benchmarks/results/gpu.json")
    args = parser.parse_args()

    import jax

    info = machine_info()
    info["device_kind"] = jax.devices()[0].device_kind
    info["peak_bf16_tflops"] = (device_peak_flops(info["device_kind"]) or 0) / 1e12 or None
    print(f"[gpu] {info['device_kind']}, jax {jax.__version__}, keras {info.get('keras')}")
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "study_dir")}
    payload = {"machine": info, "settings": settings, "models": [], "study": None}
    if "models" in args.parts:
        for name, size, batch, blocks, augmentation in model_cases(args):
            row = time_training(
                name, size, batch, args.steps, args.epochs, args.precision, augmentation, blocks
            )
            payload["models"].append(row)
            print("[gpu]", row, flush=True)
            save_json(args.out, payload)  # what finished survives a time limit
        row = time_fv_train(224, args.batch, args.steps, args.precision, "standard", 2)
        payload["models"].append(row)
        print("[gpu]", row, flush=True)
        save_json(args.out, payload)
        columns = [
            "model",
            "size",
            "trainable",
            "augmentation",
            "images_per_s",
            "mfu_percent",
            "compile_s",
        ]
        print(markdown_table(payload["models"], columns))
    if "study" in args.parts:
        payload["study"] = run_study(args.study_dir)
        print("[gpu] study", payload["study"], flush=True)
        save_json(args.out, payload)


if __name__ == "__main__":
    main()
