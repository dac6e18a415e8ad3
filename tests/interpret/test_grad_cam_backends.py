"""Grad-CAM on the jax, tensorflow and torch backends, each in its own process.

KERAS_BACKEND must be set before keras is imported, so every backend runs
``grad_cam_backend_script.py`` in a subprocess (all three at once) and the heatmaps are
compared here.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BACKENDS = ("jax", "tensorflow", "torch")
SCRIPT = Path(__file__).with_name("grad_cam_backend_script.py")
SIZE = 32


def model_weights(rng):
    """Weights of ``build_left_half_model`` (shapes listed here to avoid importing keras)."""
    shapes = [(3, 3, 3, 8), (8,), (1, 1, 8, 8), (8, 3), (3,)]
    return {f"w{i}": rng.normal(0, 0.5, s).astype("float32") for i, s in enumerate(shapes)}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("grad_cam_backends")
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (6, SIZE, SIZE, 3)).astype("uint8")
    np.savez(workdir / "inputs.npz", images=images, **model_weights(rng))
    processes = {}
    for backend in BACKENDS:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        processes[backend] = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(workdir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    outputs = {}
    for backend, process in processes.items():
        log, _ = process.communicate(timeout=300)
        assert process.returncode == 0, f"{backend} failed:\n{log[-4000:]}"
        outputs[backend] = dict(np.load(workdir / f"heatmaps_{backend}.npz"))
    return outputs


@pytest.mark.parametrize("backend", BACKENDS)
def test_heat_falls_on_the_half_the_score_depends_on(results, backend):
    heatmaps = results[backend]["heatmaps"]
    assert heatmaps.shape == (6, SIZE, SIZE)
    assert np.all(heatmaps >= 0) and np.all(heatmaps <= 1)
    np.testing.assert_allclose(heatmaps.max(axis=(1, 2)), 1.0)
    left = heatmaps[:, :, : SIZE // 2].sum(axis=(1, 2)) / heatmaps.sum(axis=(1, 2))
    assert left.min() >= 0.9, left


@pytest.mark.parametrize("backend", BACKENDS)
def test_gradients_branch(results, backend):
    np.testing.assert_allclose(results[backend]["grad"], [3.0, 12.0])


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("key", ["heatmaps", "fixed", "conv_b"])
def test_backends_agree(results, backend, key):
    np.testing.assert_allclose(results[backend][key], results["jax"][key], atol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_vgg16_base(results, backend):
    heatmaps = results[backend]["vgg"]
    assert heatmaps.shape == (2, 32, 32)
    assert np.isfinite(heatmaps).all() and heatmaps.min() >= 0 and heatmaps.max() <= 1
    assert results[backend]["vgg_rewiring_error"] < 1e-4
