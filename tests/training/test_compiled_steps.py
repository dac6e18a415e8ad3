"""What the compiled train step sees: one batch shape, no per-batch host sync, a disk cache."""

import json
import os
import subprocess
import sys
import threading

import keras
import numpy as np
import pytest
from harness import tiny_image_data, tiny_model

import foodvision as fv

JAX_ONLY = pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX's jit and cache")


def _counting_traces(model):
    """Count how often the train step is traced (the Python body runs once per compile)."""
    traces = []
    original = model.train_step

    def train_step(*args, **kwargs):
        traces.append(1)
        return original(*args, **kwargs)

    model.train_step = train_step
    return traces


@JAX_ONLY
@pytest.mark.parametrize("source", ["tf.data", "arrays", "device augmentation"])
def test_a_fit_compiles_its_train_step_once(source, monkeypatch):
    data = tiny_image_data(per_class=15)  # 45 images in batches of 8: a tail of 5
    steps = []

    class Steps(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            steps.append(batch)

    model = tiny_model()
    traces = _counting_traces(model)
    if source == "device augmentation":  # the step is the training wrapper's
        from foodvision.training.device_augmentation import AugmentingModel

        traces = []
        original = AugmentingModel.train_step

        def train_step(self, *args, **kwargs):
            traces.append(1)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(AugmentingModel, "train_step", train_step)
    if source == "arrays":
        images, labels = (np.concatenate(p) for p in zip(*[(x, y) for x, y in data.train]))
        fv.train(model, (images, labels), epochs=3, batch_size=8, callbacks=[Steps()], verbose=0)
    else:
        augmentation = "standard" if source == "device augmentation" else None
        fv.train(model, data, epochs=3, augmentation=augmentation, callbacks=[Steps()], verbose=0)
    assert len(traces) == 1  # before, the tail batch of 5 was a second compile
    assert steps == [0, 1, 2, 3, 4, 5] * 3  # ceil(45 / 8) steps in every epoch


@JAX_ONLY
def test_the_library_callbacks_keep_keras_asynchronous_dispatch(tmp_path):
    threads = set()

    class WhereBatchesEnd(keras.callbacks.Callback):
        async_safe = True

        def on_train_batch_end(self, batch, logs=None):
            threads.add(threading.current_thread() is threading.main_thread())

    fv.train(
        tiny_model(),
        tiny_image_data(),
        epochs=2,
        early_stopping=3,
        checkpoint_dir=tmp_path,
        callbacks=[WhereBatchesEnd()],
        verbose=0,
    )
    assert threads == {False}  # dispatched to Keras's worker threads, never waited for


CACHE_SCRIPT = r"""
import json, sys
import jax
import jax.monitoring

hits = []
jax.monitoring.register_event_listener(
    lambda name, **kwargs: hits.append(name) if name.endswith("cache_hits") else None
)
sys.path.insert(0, sys.argv[2])
from harness import tiny_image_data, tiny_model
import foodvision as fv

fv.use_compilation_cache(sys.argv[1])
fv.train(tiny_model(), tiny_image_data(), epochs=1, verbose=0, seed=0)
print(json.dumps({"hits": len(hits)}))
"""


@JAX_ONLY
def test_a_second_process_reuses_the_compilation_cache(tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", CACHE_SCRIPT, str(cache), tests],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0]["hits"] == 0 and any(cache.iterdir())
    assert runs[1]["hits"] > 0
