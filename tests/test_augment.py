"""Augmentation presets in the tf.data pipeline: determinism, label mixing, jit."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import foodvision as fv

NUM_CLASSES = 4


def image_dataset(count=16, size=32, batch=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, size, size, 3)).astype("uint8")
    labels = np.arange(count) % NUM_CLASSES
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch)


def two_class_dataset(size=32, batch=8):
    """Class 0 images are all 0, class 1 images all 200: a pixel tells its source."""
    labels = np.arange(batch) % 2
    images = np.zeros((batch, size, size, 3), "uint8")
    images[labels == 1] = 200
    return tf.data.Dataset.from_tensors((images, labels))


def collect(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def same(run_a, run_b):
    return all(
        np.array_equal(xa, xb) and np.array_equal(ya, yb)
        for (xa, ya), (xb, yb) in zip(run_a, run_b)
    )


@pytest.mark.parametrize("preset", fv.AUGMENTATION_PRESETS)
def test_presets_are_pipelines_that_know_whether_they_mix_labels(preset):
    aug = fv.augmentation(preset, seed=0)
    assert isinstance(aug, keras.layers.Pipeline)
    assert aug.preset == preset
    assert fv.mixes_labels(aug) is (preset == "strong")
    assert fv.mixes_labels(preset) is (preset == "strong")
    if preset == "strong":
        kinds = [type(layer) for layer in aug.layers]
        assert any(issubclass(k, keras.layers.RandAugment) for k in kinds)
        assert keras.layers.CutMix in kinds and keras.layers.MixUp in kinds


def test_unknown_presets_and_bad_layers_are_clear_errors():
    with pytest.raises(ValueError, match=r"'strnog'; did you mean 'strong'\? Valid presets: none"):
        fv.augmentation("strnog")
    with pytest.raises(ValueError, match="keras.layers.Layer"):
        fv.augmentation([keras.layers.RandomFlip(), "flip"])
    with pytest.raises(ValueError, match="pass num_classes"):
        fv.apply_augmentation(image_dataset(), "strong")


def test_custom_layer_lists_are_accepted():
    aug = fv.augmentation([keras.layers.RandomFlip("horizontal", seed=0), keras.layers.MixUp()])
    assert aug.preset == "custom" and fv.mixes_labels(aug)
    assert fv.augmentation(aug) is aug


@pytest.mark.parametrize("preset", fv.AUGMENTATION_PRESETS)
def test_every_preset_runs_in_tf_data_on_uint8_batches(preset):
    dataset = image_dataset()
    augmented = fv.apply_augmentation(dataset, fv.augmentation(preset, seed=0), NUM_CLASSES)
    if preset == "none":
        assert augmented is dataset
        return
    for (images, labels), (raw, raw_labels) in zip(collect(augmented), collect(dataset)):
        assert images.shape == raw.shape and images.dtype == np.float32
        assert np.isfinite(images).all() and images.min() >= 0 and images.max() <= 255.001
        assert not np.array_equal(images, raw)
        if preset == "strong":
            assert labels.shape == (len(raw_labels), NUM_CLASSES) and labels.dtype == np.float32
            assert labels.min() >= 0
            np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)
        else:
            np.testing.assert_array_equal(labels, raw_labels)


@pytest.mark.parametrize("preset", ["standard", "strong"])
def test_seeded_presets_are_deterministic(preset):
    def run(seed, epochs=1):
        augmented = fv.apply_augmentation(
            image_dataset(), fv.augmentation(preset, seed=seed), NUM_CLASSES
        )
        return [collect(augmented) for _ in range(epochs)]

    first, second_epoch = run(0, epochs=2)
    assert same(first, run(0)[0])
    assert not same(first, run(1)[0])
    assert not same(first, second_epoch)  # a new draw every epoch


def test_mixup_mixes_one_hot_labels_with_the_image_weights():
    aug = fv.augmentation([keras.layers.MixUp(alpha=0.8, seed=3)])
    [(images, labels)] = collect(fv.apply_augmentation(two_class_dataset(), aug, num_classes=3))
    share_of_class_1 = images.mean(axis=(1, 2, 3)) / 200.0  # image weight of class-1 pixels
    np.testing.assert_allclose(labels[:, 1], share_of_class_1, atol=1e-5)
    np.testing.assert_allclose(labels[:, 0], 1.0 - share_of_class_1, atol=1e-5)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-6)
    assert np.all(labels[:, 2] == 0)
    assert np.any((labels[:, 1] > 0.05) & (labels[:, 1] < 0.95)), "nothing was mixed"


def test_cutmix_label_weights_follow_the_pasted_area():
    aug = fv.augmentation([keras.layers.CutMix(factor=1.0, seed=1)])
    dataset = two_class_dataset(size=64)
    [(images, labels)] = collect(fv.apply_augmentation(dataset, aug, num_classes=2))
    area_of_class_1 = (images[..., 0] == 200).mean(axis=(1, 2))
    np.testing.assert_allclose(labels[:, 1], area_of_class_1, atol=0.04)  # pixel rounding
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-6)
    assert np.any((labels[:, 1] > 0.05) & (labels[:, 1] < 0.95)), "nothing was mixed"


def test_one_hot_labels_are_mixed_as_they_are():
    images = np.zeros((4, 16, 16, 3), "uint8")
    one_hot = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    dataset = tf.data.Dataset.from_tensors((images, one_hot))
    aug = fv.augmentation([keras.layers.MixUp(seed=0)])
    [(_, labels)] = collect(fv.apply_augmentation(dataset, aug, num_classes=3))
    assert labels.shape == (4, 3)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="jit of the train step: JAX")
@pytest.mark.parametrize("preset", fv.AUGMENTATION_PRESETS)
def test_presets_in_the_pipeline_keep_the_jax_train_step_jitted(preset):
    aug = fv.augmentation(preset, seed=0)
    model = fv.build_model(
        "baseline_cnn",
        num_classes=NUM_CLASSES,
        input_shape=(32, 32, 3),
        conv_blocks=1,
        filters=4,
        dense_units=8,
    )
    mixes = fv.mixes_labels(aug)
    loss = "categorical_crossentropy" if mixes else "sparse_categorical_crossentropy"
    model.compile(optimizer="adam", loss=loss, jit_compile="auto")
    history = model.fit(fv.apply_augmentation(image_dataset(), aug, NUM_CLASSES), verbose=0)
    assert model.jit_compile is True
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="jit of the train step: JAX")
def test_the_same_augmentation_inside_the_model_would_turn_jit_off():
    """Why augmentation lives in tf.data: RandomZoom does not support XLA."""
    inputs = keras.Input((32, 32, 3))
    x = fv.augmentation("standard", seed=0)(inputs)
    outputs = keras.layers.Dense(NUM_CLASSES)(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", jit_compile="auto")
    assert model.jit_compile is False
