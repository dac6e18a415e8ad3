"""Presets: what they hold, determinism on the device, jit-safety, saving."""

import keras
import numpy as np
import pytest

import foodvision as fv
from foodvision.augment import layers


def images(count=8, size=32, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (count, size, size, 3)).astype("uint8")


@pytest.mark.parametrize("preset", fv.AUGMENTATION_PRESETS)
def test_presets_are_device_pipelines_that_know_whether_they_mix_labels(preset):
    aug = fv.augmentation(preset, seed=0)
    assert isinstance(aug, keras.layers.Pipeline)
    assert aug.preset == preset and aug.runs_on_device
    assert fv.mixes_labels(aug) is (preset == "strong")
    assert fv.mixes_labels(preset) is (preset == "strong")
    assert all(layer.supports_jit for layer in aug.layers)
    if preset == "strong":
        kinds = {type(layer) for layer in aug.layers}
        assert {layers.RandAugment, layers.CutMix, layers.MixUp} <= kinds


def test_unknown_presets_and_bad_layers_are_clear_errors():
    with pytest.raises(ValueError, match=r"'strnog'; did you mean 'strong'\? Valid presets: none"):
        fv.augmentation("strnog")
    with pytest.raises(ValueError, match="keras.layers.Layer"):
        fv.augmentation([keras.layers.RandomFlip(), "flip"])
    with pytest.raises(ValueError, match="seed must be an integer"):
        fv.augmentation("light", seed=1.5)


def test_custom_lists_know_where_they_can_run():
    ours = fv.augmentation([layers.RandomFlip(seed=0), layers.MixUp()])
    assert ours.preset == "custom" and ours.runs_on_device and fv.mixes_labels(ours)
    keras_own = fv.augmentation([keras.layers.RandomFlip("horizontal", seed=0)])
    assert not keras_own.runs_on_device
    assert fv.augmentation(ours) is ours
    with pytest.raises(ValueError, match="augment_on='device' needs foodvision's"):
        fv.resolve_augment_on("device", keras_own)
    assert fv.resolve_augment_on("auto", keras_own) == "pipeline"


def test_auto_follows_the_measured_rule():
    standard = fv.augmentation("standard")
    assert fv.resolve_augment_on("auto", standard) == "device"
    assert fv.resolve_augment_on("pipeline", standard) == "pipeline"
    assert fv.resolve_augment_on("auto", standard, tf_data=False) == "device"
    with pytest.raises(ValueError, match="do not come from tf.data"):
        fv.resolve_augment_on("pipeline", standard, tf_data=False)
    with pytest.raises(ValueError, match="augment_on must be one of"):
        fv.resolve_augment_on("gpu", standard)


@pytest.mark.parametrize("preset", ["light", "standard", "strong"])
def test_same_seed_same_batches_on_the_device(preset):
    batch = images()

    def run(seed):
        aug = fv.augmentation(preset, seed=seed)
        return [keras.ops.convert_to_numpy(aug(batch, training=True)) for _ in range(2)]

    first, again, other = run(0), run(0), run(1)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])  # a new draw every batch
    assert not np.array_equal(first[0], other[0])
    out = first[0]
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 255.001


def test_presets_inside_a_model_keep_the_step_compiled_and_save_without_effect(tmp_path):
    inputs = keras.Input((32, 32, 3))
    x = fv.augmentation("standard", seed=0)(inputs)
    outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", jit_compile="auto")
    if keras.backend.backend() == "jax":
        assert model.jit_compile is True
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    batch = images()
    np.testing.assert_allclose(loaded.predict(batch, verbose=0), model.predict(batch, verbose=0))
    [pipeline] = [layer for layer in loaded.layers if isinstance(layer, keras.layers.Pipeline)]
    assert pipeline.preset == "standard" and len(pipeline.layers) == 2
    assert pipeline.layers[1].get_config()["rotation"] == 0.1
