"""The tf.data path: parallel and reproducible with stateless per-batch seeds."""

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


def collect(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def same(run_a, run_b):
    return all(
        np.array_equal(xa, xb) and np.array_equal(ya, yb)
        for (xa, ya), (xb, yb) in zip(run_a, run_b)
    )


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
            np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)
        else:
            np.testing.assert_array_equal(labels, raw_labels)


@pytest.mark.parametrize("preset", ["standard", "strong"])
def test_seeded_presets_are_reproducible_and_new_every_epoch(preset):
    def run(seed, epochs=1):
        augmented = fv.apply_augmentation(image_dataset(), preset, NUM_CLASSES, seed=seed)
        return [collect(augmented) for _ in range(epochs)]

    first, second_epoch = run(0, epochs=2)
    assert same(first, run(0)[0])
    assert not same(first, run(1)[0])
    assert not same(first, second_epoch)


def test_the_map_is_parallel_and_keeps_batch_order():
    dataset = image_dataset(count=64)
    augmented = fv.apply_augmentation(dataset, "light", NUM_CLASSES, seed=0)
    assert "ParallelMap" in type(augmented).__name__
    assert augmented.element_spec[0].shape[1:] == (32, 32, 3)
    labels = np.concatenate([y for _, y in collect(augmented)])
    np.testing.assert_array_equal(labels, np.arange(64) % NUM_CLASSES)


def test_keras_layer_lists_still_run_one_batch_at_a_time():
    aug = fv.augmentation([keras.layers.RandomFlip("horizontal", seed=0), keras.layers.MixUp()])
    [(images, labels), _] = collect(fv.apply_augmentation(image_dataset(), aug, NUM_CLASSES))
    assert images.shape == (8, 32, 32, 3) and labels.shape == (8, NUM_CLASSES)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)  # MixUp keeps weights whole


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow", reason="any layer runs on TensorFlow tensors there"
)
def test_a_layer_that_cannot_run_in_tf_data_is_a_clear_error():
    layers = [keras.layers.RandomFlip(), keras.layers.Identity()]  # only Identity is to blame
    with pytest.raises(ValueError, match=r"layer\(s\) Identity could not run in a tf.data"):
        fv.apply_augmentation(image_dataset(), layers)


def test_mixing_without_num_classes_is_a_clear_error():
    with pytest.raises(ValueError, match="pass num_classes"):
        fv.apply_augmentation(image_dataset(), "strong")


def test_one_hot_labels_are_mixed_as_they_are():
    images = np.zeros((4, 16, 16, 3), "uint8")
    one_hot = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    dataset = tf.data.Dataset.from_tensors((images, one_hot))
    [(_, labels)] = collect(fv.apply_augmentation(dataset, "strong", num_classes=3, seed=0))
    assert labels.shape == (4, 3)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-6)


def test_augment_fn_maps_with_or_without_a_batch_seed():
    fn = fv.augment_fn("strong", num_classes=NUM_CLASSES)
    [(images, labels), _] = collect(image_dataset().map(fn))
    assert images.dtype == np.float32 and labels.shape == (8, NUM_CLASSES)
    seed = tf.constant([3, 4], tf.int64)
    [first, _] = collect(image_dataset().map(lambda x, y: fn(x, y, seed)))
    [again, _] = collect(image_dataset().map(lambda x, y: fn(x, y, seed)))
    assert same([first], [again])
    assert fv.augment_fn("none") is None


def test_the_number_of_batches_stays_known():
    augmented = fv.apply_augmentation(image_dataset(count=24), "standard", NUM_CLASSES, seed=0)
    assert int(augmented.cardinality()) == 3
