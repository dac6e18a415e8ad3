"""TensorFlow never takes an accelerator from the JAX or PyTorch backend."""

import os
import subprocess
import sys

import pytest

from foodvision.base import backends

SCRIPT = """
import tensorflow as tf
calls = []
tf.config.set_visible_devices = lambda devices, kind: calls.append((list(devices), kind))
import foodvision as fv
data = fv.load_synthetic(image_size=(32, 32), train_per_class=2, seed=0)  # first TF ops
next(iter(data.train))
print(calls)
"""


@pytest.mark.parametrize(("backend", "hidden"), [("jax", True), ("tensorflow", False)])
def test_the_loaders_hide_gpus_from_tensorflow_unless_keras_trains_with_it(backend, hidden):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    calls = done.stdout.strip().splitlines()[-1]
    assert calls == ("[([], 'GPU')]" if hidden else "[]")


def test_a_cpu_backend_beside_a_jax_accelerator_is_told_how_to_choose(monkeypatch):
    monkeypatch.setattr(backends, "jax_accelerator", lambda: "gpu")
    message = backends.unused_accelerator_message("tensorflow")  # no TF GPU on this machine
    assert message and "JAX sees a GPU" in message and "KERAS_BACKEND=jax" in message
    assert backends.unused_accelerator_message("jax") is None
    monkeypatch.setattr(backends, "jax_accelerator", lambda: None)
    assert backends.unused_accelerator_message("tensorflow") is None
