import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from harness import tiny_image_data, tiny_model

import foodvision as fv

HERE = Path(__file__).parent


def test_mixed_bfloat16_trains_a_copy_and_copies_weights_back():
    model = tiny_model()
    before = [w.copy() for w in model.get_weights()]
    seen = {}

    class Probe(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["policies"] = {layer.dtype_policy.name for layer in self.model.layers[1:-1]}
            seen["output"] = self.model.layers[-1].dtype_policy.name

    history = fv.train(
        model,
        tiny_image_data(),
        epochs=2,
        precision="mixed_bfloat16",
        callbacks=[Probe()],
        verbose=0,
    )
    assert seen == {"policies": {"mixed_bfloat16"}, "output": "float32"}
    assert np.isfinite(history.history["loss"]).all()
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_unknown_precision_and_distribution():
    with pytest.raises(ValueError, match="unknown precision"):
        fv.train(tiny_model(), tiny_image_data(), epochs=1, precision="fp8")
    with pytest.raises(ValueError, match="unknown distribution"):
        fv.train(tiny_model(), tiny_image_data(), epochs=1, distribution="model_parallel")


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution needs JAX")
def test_two_device_data_parallel_matches_single_device():
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    }
    results = {}
    for mode in ("single", "parallel"):
        run = subprocess.run(
            [sys.executable, str(HERE / "data_parallel_script.py"), mode],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        results[mode] = json.loads(run.stdout.strip().splitlines()[-1])
    assert results["parallel"]["devices"] == 2
    single, parallel = results["single"]["loss"], results["parallel"]["loss"]
    assert abs(single - parallel) <= 1e-4 * abs(single)
    assert abs(results["single"]["kernel_sum"] - results["parallel"]["kernel_sum"]) < 1e-4
