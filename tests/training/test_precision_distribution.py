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


def test_float16_is_loss_scaled_so_tiny_gradients_do_not_underflow():
    @keras.saving.register_keras_serializable("foodvision_tests")
    def tiny_loss(y_true, y_pred):  # gradients far below float16's smallest number
        return 1e-9 * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    data = tiny_image_data()

    def kernels_after_training(precision, scaled):
        model = tiny_model()
        model.compile(optimizer=keras.optimizers.SGD(1e3), loss=tiny_loss)
        before = model.layers[2].kernel.numpy().copy()
        if scaled:
            fv.train(model, data, epochs=1, precision=precision, verbose=0)
        else:  # the same float16 layers without loss scaling
            copy = keras.models.clone_model(
                model,
                clone_function=lambda layer: layer.__class__.from_config(
                    {**layer.get_config(), "dtype": "mixed_float16"}
                ),
            )
            copy.set_weights(model.get_weights())
            copy.compile(optimizer=keras.optimizers.SGD(1e3), loss=tiny_loss, auto_scale_loss=False)
            copy.fit(data.train, epochs=1, verbose=0)
            model.set_weights(copy.get_weights())
        return before, model.layers[2].kernel.numpy()

    before, after = kernels_after_training("mixed_float16", scaled=False)
    np.testing.assert_array_equal(before, after)  # every gradient underflowed to 0
    before, after = kernels_after_training("mixed_float16", scaled=True)
    assert np.abs(after - before).max() > 1e-7  # lr 1e3 x gradients of about 1e-9


def test_auto_precision_follows_the_measured_rule(monkeypatch):
    import foodvision.training.precision as precision

    assert fv.resolve_precision(None) == "float32"
    assert fv.resolve_precision("mixed_float16") == "mixed_float16"
    assert fv.resolve_precision("auto") == "float32"  # this test machine: CPUs only
    for fast, expected in ((True, "mixed_bfloat16"), (False, "float32"), (None, "float32")):
        monkeypatch.setattr(precision, "_accelerator_has_bfloat16", lambda backend, f=fast: f)
        assert fv.resolve_precision("auto") == expected  # recent GPU, old GPU, CPU


def test_unknown_precision_and_distribution():
    with pytest.raises(ValueError, match="unknown precision"):
        fv.train(tiny_model(), tiny_image_data(), epochs=1, precision="fp8")
    with pytest.raises(ValueError, match="unknown distribution"):
        fv.train(tiny_model(), tiny_image_data(), epochs=1, distribution="model_parallel")


def _two_devices(*args: str) -> dict:
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    }
    run = subprocess.run(
        [sys.executable, str(HERE / "data_parallel_script.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution needs JAX")
def test_two_device_data_parallel_matches_single_device():
    results = {mode: _two_devices(mode) for mode in ("single", "parallel")}
    assert results["parallel"]["devices"] == 2
    single, parallel = results["single"]["loss"], results["parallel"]["loss"]
    assert abs(single - parallel) <= 1e-4 * abs(single)
    assert abs(results["single"]["kernel_sum"] - results["parallel"]["kernel_sum"]) < 1e-4
    # 9 validation images: the last batch of 1 is padded for the devices, not dropped
    assert results["parallel"]["val_accuracy"] == pytest.approx(results["single"]["val_accuracy"])


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="keras.distribution needs JAX")
def test_study_steps_in_bfloat16_on_two_devices(tmp_path):
    result = _two_devices("study", str(tmp_path / "study"))
    assert result["precision"] == "mixed_bfloat16" and result["devices"] == 2
    assert result["batch"] == 8  # the profile's 4 images on each of the 2 devices
    assert len(result["accuracies"]) == 2
    assert all(0 <= accuracy <= 1 for accuracy in result["accuracies"])
