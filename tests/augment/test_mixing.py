"""MixUp and CutMix: the labels say how much of each class every mixed image holds."""

import numpy as np
import pytest
from keras import ops

import foodvision as fv
from foodvision.augment import mixing
from foodvision.augment.draws import DeviceDraws
from foodvision.augment.layers import CutMix, MixUp
from foodvision.augment.pipeline import device_draws

CLASS_VALUES = np.array([0.0, 100.0, 250.0], "float32")


def class_images(labels, size=32):
    """Image of class k is filled with CLASS_VALUES[k]: its mean tells its mixture."""
    return np.broadcast_to(CLASS_VALUES[labels][:, None, None, None], (len(labels), size, size, 3))


def mixed(layer_or_preset, labels, size=32):
    import keras

    aug = fv.augmentation(layer_or_preset)
    images = ops.convert_to_tensor(class_images(labels, size).copy())
    out, mixes = aug.augment(images, ops, device_draws)
    one_hot = ops.convert_to_tensor(np.eye(3, dtype="float32")[labels])
    soft = mixing.mix_labels(ops, one_hot, mixes)
    return keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(soft)


@pytest.mark.parametrize("layer", [MixUp(alpha=0.8, seed=3), CutMix(alpha=1.0, seed=1)])
def test_mixed_labels_match_the_pixels_of_the_mixed_images(layer):
    labels = np.arange(16) % 3
    images, soft = mixed([layer], labels)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-6)
    assert soft.min() >= 0
    np.testing.assert_allclose(images.mean(axis=(1, 2, 3)), soft @ CLASS_VALUES, atol=1e-2)
    assert np.any((soft.max(axis=1) > 0.05) & (soft.max(axis=1) < 0.95)), "nothing was mixed"


def test_cutmix_pastes_one_box_and_counts_its_area_exactly():
    labels = np.array([0, 1] * 8)
    images, soft = mixed([CutMix(alpha=1.0, seed=4)], labels, size=20)
    for image, label, row in zip(images[..., 0], labels, soft):
        other = image != CLASS_VALUES[label]
        if other.any():
            rows, cols = np.nonzero(other)
            box = np.zeros_like(other)
            box[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] = True
            assert np.array_equal(other, box)  # one rectangle
        np.testing.assert_allclose(row[label], 1.0 - other.mean() if other.any() else 1.0)


def test_chained_mixes_keep_labels_and_pixels_together():
    labels = np.arange(24) % 3
    images, soft = mixed([CutMix(alpha=1.0, seed=5), MixUp(alpha=0.5, seed=6)], labels)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(images.mean(axis=(1, 2, 3)), soft @ CLASS_VALUES, atol=1e-2)
    assert (np.count_nonzero(soft > 1e-3, axis=1) > 2).any(), "no image holds three sources"


def test_mix_labels_applies_each_mix_in_order():
    labels = ops.convert_to_tensor(np.eye(3, dtype="float32"))
    first = (ops.convert_to_tensor([0.5, 1.0, 1.0]), ops.convert_to_tensor([1, 1, 2]))
    second = (ops.convert_to_tensor([1.0, 1.0, 0.0]), ops.convert_to_tensor([0, 1, 0]))
    out = ops.convert_to_numpy(mixing.mix_labels(ops, labels, [first, second]))
    np.testing.assert_allclose(out, [[0.5, 0.5, 0], [0, 1, 0], [0.5, 0.5, 0]])


def test_draws_from_the_same_seed_repeat():
    import keras

    def draws():
        return DeviceDraws(keras.random.SeedGenerator(7)).beta((5,), 0.2)

    np.testing.assert_array_equal(ops.convert_to_numpy(draws()), ops.convert_to_numpy(draws()))
