"""Time one benchmark case in this process (run as ``python -m foodvision.apps.bench.worker``).

The parent sets ``KERAS_BACKEND`` before starting this module, passes the case as JSON
on the command line and reads one JSON line from stdout.

The batch is put on the device once. Training runs ``fit`` on it for one step (which
compiles), then for two timed epochs of ``timed_batches`` steps each: Keras dispatches
the steps without waiting for each (no callback reads a batch's values), and reading the
epoch's loss at its end waits for the last one, so each time is the device's work for
those steps. Inference is timed call by call with ``predict_on_batch``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

from foodvision.apps.bench.cases import (
    BenchCase,
    device_peak_flops,
    forward_flops,
    training_flops,
)
from foodvision.base.system import peak_memory_mb


def _seconds(call: Any, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def _epoch_seconds(model: Any, images: Any, labels: Any, steps: int, repeats: int) -> list:
    """The first step (it compiles), then ``repeats`` epochs of ``steps`` steps, in ``fit``.

    Returns:
        ``[first step, epoch 1, ..., epoch repeats]`` wall times in seconds.
    """
    import keras

    seconds: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            float((logs or {})["loss"])  # waits for the epoch's last step
            seconds.append(time.perf_counter() - self.start)

    def batches() -> Any:
        while True:
            yield images, labels

    model.fit(batches(), steps_per_epoch=1, epochs=1, callbacks=[Clock()], verbose=0)
    model.fit(batches(), steps_per_epoch=steps, epochs=repeats, callbacks=[Clock()], verbose=0)
    return seconds


def _device_kind() -> str | None:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        return None if device.platform == "cpu" else device.device_kind
    if keras.backend.backend() == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return None


def _summary(times: list[float], batch_size: int) -> dict[str, Any]:
    median = statistics.median(times)
    return {
        "seconds": times,
        "median_s": median,
        "min_s": min(times),
        "max_s": max(times),
        "images_per_second": batch_size / median,
    }


def device_peak_bytes() -> int | None:
    """Peak accelerator memory of this process where the backend reports it, else ``None``."""
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            stats = device.memory_stats() if device.platform != "cpu" else None
            return int(stats["peak_bytes_in_use"]) if stats else None
        if backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return int(torch.cuda.max_memory_allocated())
    except Exception:  # memory statistics are optional on every backend
        return None
    return None


def measure(
    case: BenchCase,
    timed_batches: int,
    precision: str,
    seed: int = 0,
    data_parallel: bool = False,
) -> dict[str, Any]:
    """Build, compile and time ``case`` on the current backend.

    With ``data_parallel`` (JAX only) the model is built under
    ``keras.distribution.DataParallel`` over every device JAX sees, so each batch is split
    across them (on a CPU: one XLA host device per core, set by ``XLA_FLAGS``).

    Returns:
        ``first_step_s`` (trace + compile + one step), ``train`` and ``inference``
        timing summaries (median/min/max seconds per batch, images/s), analytic FLOPs
        per image, achieved TFLOP/s, and peak host (and device) memory.
    """
    import keras
    import numpy as np

    from foodvision.models import build_model

    if precision != "float32":
        keras.mixed_precision.set_global_policy(precision)
    if data_parallel:
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    rng = np.random.default_rng(seed)
    options: dict[str, Any] = {}
    if case.model == "vgg16_finetune":
        options = {"weights": None, "trainable_blocks": case.trainable_blocks}
    model = build_model(
        case.model, num_classes=5, input_shape=(case.image_size, case.image_size, 3), **options
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    shape = (case.batch_size, case.image_size, case.image_size, 3)
    images = keras.ops.convert_to_tensor(rng.integers(0, 256, shape).astype("float32"))
    labels = keras.ops.convert_to_tensor(rng.integers(0, 5, case.batch_size).astype("int32"))

    first_step, *epochs = _epoch_seconds(model, images, labels, timed_batches, repeats=2)
    train = _summary([seconds / timed_batches for seconds in epochs], case.batch_size)
    start = time.perf_counter()
    model.predict_on_batch(images)
    first_predict = time.perf_counter() - start
    infer = _summary(_seconds(lambda: model.predict_on_batch(images), timed_batches), len(labels))

    forward, _ = forward_flops(model)
    train_flops = training_flops(model)
    achieved = train_flops * train["images_per_second"]
    kind = _device_kind()
    peak = device_peak_flops(kind) if precision != "float32" else None
    return {
        "case": case.to_dict(),
        "name": case.name,
        "backend": keras.backend.backend(),
        "precision": precision,
        "devices": len(keras.distribution.list_devices()) if data_parallel else 1,
        "first_step_s": first_step,
        "first_predict_s": first_predict,
        "train": train,
        "inference": infer,
        "params": int(model.count_params()),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "forward_gflops_per_image": forward / 1e9,
        "train_gflops_per_image": train_flops / 1e9,
        "train_tflops_per_second": achieved / 1e12,
        "device": kind or "cpu",
        "mfu_percent": 100 * achieved / peak if peak else None,
        "peak_rss_mb": peak_memory_mb(),
        "device_peak_mb": (lambda b: None if b is None else b / 2**20)(device_peak_bytes()),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m foodvision.apps.bench.worker '{"case": ..., ...}'``."""
    request = json.loads((argv or sys.argv[1:])[0])
    result = measure(
        BenchCase(**request["case"]),
        int(request["timed_batches"]),
        request.get("precision", "float32"),
        int(request.get("seed", 0)),
        bool(request.get("data_parallel", False)),
    )
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
