"""The contract every registered model keeps, parametrized over ``list_models()`` so a new
model is tested the moment it is registered: a softmax over ``num_classes`` on raw 0..255
images, a save/load round trip in safe mode, one training step that moves every trainable
weight and no frozen one."""

import keras
import numpy as np
import pytest
from harness import NUM_CLASSES, raw_images, tiny_shape

import foodvision as fv

MODELS = fv.list_models()
BATCH = 4  # one batch size throughout, so JAX compiles each predict function once


def numpy(variable):
    return keras.ops.convert_to_numpy(variable)


@pytest.mark.parametrize("name", MODELS)
def test_builds_a_softmax_over_num_classes_on_raw_uint8_images(built_model, name):
    model = built_model(name)
    assert model.name == name
    assert tuple(model.output.shape) == (None, NUM_CLASSES)
    assert model.layers[-1].get_config()["activation"] == "softmax"
    probs = model.predict(raw_images(BATCH, tiny_shape(name)), verbose=0)
    assert probs.shape == (BATCH, NUM_CLASSES) and probs.dtype == np.float32
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_save_and_load_in_safe_mode_gives_identical_predictions(built_model, name, tmp_path):
    model = built_model(name)
    images = raw_images(BATCH, tiny_shape(name), seed=1)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0)
    )
    assert [layer.trainable for layer in loaded.layers if layer.weights] == [
        layer.trainable for layer in model.layers if layer.weights
    ]
    assert fv.block_boundaries(loaded) == fv.block_boundaries(model)


@pytest.mark.parametrize("name", MODELS)
def test_one_training_step_changes_every_trainable_weight_and_no_frozen_one(built_model, name):
    model = built_model(name)
    trainable_before = [numpy(w) for w in model.trainable_weights]
    frozen = [
        (layer.name, w) for layer in model.layers if not layer.trainable for w in layer.weights
    ]
    frozen_before = [numpy(w) for _, w in frozen]
    assert trainable_before, "a model with nothing to train"

    images = raw_images(8, tiny_shape(name), seed=2)
    labels = np.arange(8) % NUM_CLASSES
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    history = model.fit(images, labels, batch_size=8, epochs=1, shuffle=False, verbose=0)

    assert np.isfinite(history.history["loss"][0])
    unchanged = [
        w.path
        for w, before in zip(model.trainable_weights, trainable_before)
        if np.array_equal(numpy(w), before)
    ]
    assert not unchanged, f"trainable weights not updated: {unchanged}"
    moved = [
        f"{layer}/{w.name}"
        for (layer, w), before in zip(frozen, frozen_before)
        if not np.array_equal(numpy(w), before)
    ]
    assert not moved, (
        f"frozen weights changed (frozen batch norm must be in inference mode): {moved}"
    )
