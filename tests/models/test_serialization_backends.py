"""Every registered model saved under JAX reloads under TensorFlow and torch (safe mode)
with the same predictions, and so does the ``best.keras`` checkpoint that ``fv.train``
writes; augmentation presets run in tf.data on those backends too.

KERAS_BACKEND must be set before keras is imported, so each backend runs
``backend_reload_script.py`` in its own subprocess (both at once); the models are built
and saved here, under JAX."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from backend_reload_script import augmentation_outputs
from harness import NUM_CLASSES, raw_images, tiny_image_data, tiny_overrides, tiny_shape

import foodvision as fv

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "jax", reason="models are saved under JAX, reloaded elsewhere"
)

OTHER_BACKENDS = ("tensorflow", "torch")
SCRIPT = Path(__file__).with_name("backend_reload_script.py")
MODELS = fv.list_models()
SAVED = [*MODELS, "trained"]  # "trained": best.keras of an fv.train run


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Save every model under JAX, reload on the other backends: {backend: outputs}."""
    workdir = tmp_path_factory.mktemp("backends")
    inputs = {}
    outputs = {}
    for name in MODELS:
        keras.utils.set_random_seed(0)
        model = fv.build_model(
            name, num_classes=NUM_CLASSES, input_shape=tiny_shape(name), **tiny_overrides(name)
        )
        images = raw_images(4, tiny_shape(name), seed=7)
        inputs[f"images_{name}"] = images
        model.save(workdir / f"{name}.keras")
        outputs[f"pred_{name}"] = model.predict(images, verbose=0)
        prefix, _ = fv.split_at(model, fv.block_boundaries(model)[-1])
        outputs[f"feat_{name}"] = prefix.predict(images, verbose=0)
    model = fv.build_model("augmented_cnn", num_classes=NUM_CLASSES, input_shape=(16, 16, 3))
    data = tiny_image_data(num_classes=NUM_CLASSES, size=16)
    fv.train(model, data, epochs=1, seed=0, checkpoint_dir=workdir / "run", verbose=0)
    shutil.copy(workdir / "run" / "best.keras", workdir / "trained.keras")  # epoch 1 = best
    inputs["images_trained"] = raw_images(4, (16, 16, 3), seed=9)
    outputs["pred_trained"] = model.predict(inputs["images_trained"], verbose=0)
    prefix, _ = fv.split_at(model, fv.block_boundaries(model)[-1])
    outputs["feat_trained"] = prefix.predict(inputs["images_trained"], verbose=0)
    inputs["aug_images"] = raw_images(8, (32, 32, 3), seed=8)
    inputs["aug_labels"] = np.arange(8) % 4
    outputs.update(augmentation_outputs(inputs["aug_images"], inputs["aug_labels"]))
    np.savez(workdir / "inputs.npz", **inputs)

    processes = {}
    for backend in OTHER_BACKENDS:
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
        processes[backend] = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(workdir)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    found = {"jax": outputs}
    for backend, process in processes.items():
        log, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{backend} failed:\n{log[-4000:]}"
        found[backend] = dict(np.load(workdir / f"outputs_{backend}.npz"))
    return found


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
@pytest.mark.parametrize("name", SAVED)
def test_a_model_saved_under_jax_predicts_the_same_on(results, name, backend):
    jax_out, other = results["jax"], results[backend]
    np.testing.assert_allclose(other[f"pred_{name}"], jax_out[f"pred_{name}"], rtol=0, atol=1e-4)
    # the features too, relative to their scale (they can be tiny in a random network)
    features = jax_out[f"feat_{name}"]
    scale = np.abs(features).max()
    assert scale > 0
    np.testing.assert_allclose(other[f"feat_{name}"], features, rtol=0, atol=1e-4 * scale)


@pytest.mark.parametrize("backend", OTHER_BACKENDS)
def test_augmentation_presets_run_in_tf_data_on(results, backend):
    out = results[backend]
    for preset in fv.AUGMENTATION_PRESETS:
        images, labels = out[f"aug_{preset}_images"], out[f"aug_{preset}_labels"]
        assert images.shape == (8, 32, 32, 3) and np.isfinite(images).all()
        if preset == "strong":
            assert labels.shape == (8, 4)
            np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)
        else:
            np.testing.assert_array_equal(labels, np.arange(8) % 4)
    # tf.data runs the layers with TensorFlow ops whatever the backend: same seed, same batch
    for key, value in results["jax"].items():
        if key.startswith("aug_"):
            np.testing.assert_array_equal(out[key], value, err_msg=key)
