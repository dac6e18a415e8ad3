"""Tests of the procedurally generated food-plates dataset (pure numpy, no training)."""

from __future__ import annotations

import numpy as np
import pytest

from foodvision.data.synthetic_images import (
    SYNTHETIC_CLASS_NAMES,
    generate_synthetic_images,
    synthetic_image,
)

NUM_CLASSES = len(SYNTHETIC_CLASS_NAMES)


@pytest.fixture(scope="module")
def small_set():
    return generate_synthetic_images(4, (40, 48), seed=5)


def test_class_names():
    assert SYNTHETIC_CLASS_NAMES == ("pizza", "donut", "sushi", "salad", "fries")


def test_shapes_dtypes_and_labels(small_set):
    images, labels = small_set
    assert images.shape == (4 * NUM_CLASSES, 40, 48, 3)
    assert images.dtype == np.uint8
    assert labels.shape == (4 * NUM_CLASSES,)
    assert labels.dtype == np.int32
    assert labels.min() >= 0 and labels.max() < NUM_CLASSES
    assert np.bincount(labels, minlength=NUM_CLASSES).tolist() == [4] * NUM_CLASSES
    # classes are interleaved: image i has label i % 5
    np.testing.assert_array_equal(labels, np.arange(len(labels)) % NUM_CLASSES)


def test_images_are_not_degenerate(small_set):
    images, _ = small_set
    assert images.std(axis=(1, 2, 3)).min() > 10  # every image has structure
    flat = images.reshape(len(images), -1)
    assert len({row.tobytes() for row in flat}) == len(images)  # all distinct


def test_deterministic_for_a_seed(small_set):
    images, labels = generate_synthetic_images(4, (40, 48), seed=5)
    np.testing.assert_array_equal(images, small_set[0])
    np.testing.assert_array_equal(labels, small_set[1])


def test_different_seeds_differ(small_set):
    images, labels = generate_synthetic_images(4, (40, 48), seed=6)
    np.testing.assert_array_equal(labels, small_set[1])
    # every single image differs, not just a few pixels
    diff = np.abs(images.astype(int) - small_set[0].astype(int)).mean(axis=(1, 2, 3))
    assert diff.min() > 5


def test_image_only_depends_on_seed_and_index(small_set):
    images, labels = small_set
    more, more_labels = generate_synthetic_images(7, (40, 48), seed=5)
    np.testing.assert_array_equal(more[: len(images)], images)
    np.testing.assert_array_equal(more_labels[: len(labels)], labels)
    for index in (0, 13, 19, 34):
        image, label = synthetic_image(index, (40, 48), seed=5)
        np.testing.assert_array_equal(image, more[index])
        assert label == more_labels[index] == index % NUM_CLASSES


def test_no_hidden_state_between_calls(small_set):
    generate_synthetic_images(1, (64, 64), seed=5)
    np.random.seed(123)  # the legacy global generator is not used either
    images, _ = generate_synthetic_images(4, (40, 48), seed=5)
    np.testing.assert_array_equal(images, small_set[0])


@pytest.mark.parametrize("size", [(32, 32), (32, 80), (72, 40), (256, 256)])
def test_sizes_including_non_square(size):
    image, label = synthetic_image(3, size, seed=0)
    assert image.shape == (*size, 3)
    assert image.dtype == np.uint8
    assert label == 3
    assert image.std() > 10


def test_same_scene_at_two_sizes():
    """Scenes are drawn in normalised coordinates: a downscaled big image is close."""
    big, _ = synthetic_image(8, (128, 128), seed=2)
    small, _ = synthetic_image(8, (32, 32), seed=2)
    pooled = big.astype(float).reshape(32, 4, 32, 4, 3).mean(axis=(1, 3))
    other, _ = synthetic_image(9, (32, 32), seed=2)
    same = np.abs(pooled - small).mean()
    assert same < 20
    assert same < 0.5 * np.abs(pooled - other).mean()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_per_class": 0}, "num_per_class must be an integer >= 1"),
        ({"num_per_class": -3}, "num_per_class must be an integer >= 1"),
        ({"num_per_class": 2.5}, "num_per_class must be an integer >= 1"),
        ({"num_per_class": "4"}, "num_per_class must be an integer >= 1"),
        ({"num_per_class": True}, "num_per_class must be an integer >= 1"),
        ({"num_per_class": 1, "image_size": (31, 64)}, "at least 32x32"),
        ({"num_per_class": 1, "image_size": (64, 16)}, "at least 32x32"),
        ({"num_per_class": 1, "image_size": 64}, "(height, width) pair"),
        ({"num_per_class": 1, "image_size": (64, 64, 3)}, "(height, width) pair"),
        ({"num_per_class": 1, "image_size": "64x64"}, "(height, width) pair"),
        ({"num_per_class": 1, "image_size": (64.0, 64)}, "two integers"),
        ({"num_per_class": 1, "seed": -1}, "seed must be an integer >= 0"),
        ({"num_per_class": 1, "seed": 1.5}, "seed must be an integer >= 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        generate_synthetic_images(**kwargs)


def test_bad_index():
    with pytest.raises(ValueError, match="index must be an integer >= 0"):
        synthetic_image(-1)


def test_numpy_integers_are_accepted():
    images, labels = generate_synthetic_images(
        np.int64(1), (np.int32(32), np.int64(40)), np.uint8(3)
    )
    assert images.shape == (5, 32, 40, 3)
    assert labels.tolist() == [0, 1, 2, 3, 4]


# ----------------------------------------------------------------- learnability signal
# Cheap, training-free checks that the classes are separable by shape/texture but not
# by colour alone: nearest-class-mean classifiers on hand-made features.


def _nearest_class_mean(train_x, train_y, test_x, test_y) -> float:
    mean, std = train_x.mean(axis=0), train_x.std(axis=0) + 1e-9
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    centres = np.stack([train_x[train_y == k].mean(axis=0) for k in range(NUM_CLASSES)])
    distances = ((test_x[:, None, :] - centres[None]) ** 2).sum(axis=-1)
    return float((distances.argmin(axis=1) == test_y).mean())


def _colour_histograms(images: np.ndarray, bins: int = 4) -> np.ndarray:
    q = (images // (256 // bins)).astype(np.int64)
    codes = ((q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]).reshape(len(images), -1)
    hist = np.stack([np.bincount(c, minlength=bins**3) for c in codes]).astype(float)
    return hist / hist.sum(axis=1, keepdims=True)


def _local_binary_patterns(grey: np.ndarray, r: int) -> np.ndarray:
    """Rotation-invariant uniform LBP histograms (10 bins) of greyscale images."""
    _, height, width = grey.shape
    centre = grey[:, r : height - r, r : width - r]
    offsets = [(-r, -r), (-r, 0), (-r, r), (0, r), (r, r), (r, 0), (r, -r), (0, -r)]
    bits = np.stack(
        [
            grey[:, r + dy : height - r + dy, r + dx : width - r + dx] >= centre + 2
            for dy, dx in offsets
        ],
        axis=-1,
    ).astype(np.int8)
    transitions = np.abs(np.diff(np.concatenate([bits, bits[..., :1]], -1), axis=-1)).sum(-1)
    codes = np.where(transitions <= 2, bits.sum(-1), 9).reshape(len(grey), -1)
    hist = np.stack([np.bincount(c, minlength=10) for c in codes]).astype(float)
    return hist / hist.sum(axis=1, keepdims=True)


def _texture_features(images: np.ndarray) -> np.ndarray:
    """Colour-free shape/texture statistics of the central part (where the food is)."""
    _, height, width, _ = images.shape
    grey = images[:, height // 5 : height - height // 5, width // 5 : width - width // 5]
    grey = grey.astype(float).mean(axis=-1)
    gx, gy = np.diff(grey, axis=2)[:, :-1], np.diff(grey, axis=1)[:, :, :-1]
    edges = [0, 5, 10, 20, 30, 50, 80, 500]
    magnitude = np.sqrt(gx**2 + gy**2)
    grad = np.stack([np.histogram(m, bins=edges)[0] for m in magnitude]).astype(float)
    grad /= grad.sum(axis=1, keepdims=True)
    return np.concatenate(
        [_local_binary_patterns(grey, 1), _local_binary_patterns(grey, 2), grad], axis=1
    )


@pytest.fixture(scope="module")
def train_test():
    train = generate_synthetic_images(40, (48, 48), seed=100)
    test = generate_synthetic_images(40, (48, 48), seed=200)
    return train, test


def test_colour_alone_does_not_solve_it(train_test):
    (train_x, train_y), (test_x, test_y) = train_test
    hist_acc = _nearest_class_mean(
        _colour_histograms(train_x), train_y, _colour_histograms(test_x), test_y
    )
    raw_acc = _nearest_class_mean(
        train_x.reshape(len(train_x), -1) / 255.0,
        train_y,
        test_x.reshape(len(test_x), -1) / 255.0,
        test_y,
    )
    assert hist_acc < 0.6, hist_acc  # chance is 0.2; a colour-coded dataset gives ~1.0
    assert raw_acc < 0.6, raw_acc


def test_classes_differ_in_shape_and_texture(train_test):
    (train_x, train_y), (test_x, test_y) = train_test
    texture_acc = _nearest_class_mean(
        _texture_features(train_x), train_y, _texture_features(test_x), test_y
    )
    hist_acc = _nearest_class_mean(
        _colour_histograms(train_x), train_y, _colour_histograms(test_x), test_y
    )
    # same-class images are closer in greyscale texture statistics than chance (0.2)
    # would allow, and closer than in colour
    assert texture_acc >= 0.35, texture_acc
    assert texture_acc > hist_acc, (texture_acc, hist_acc)


def test_shuffled_labels_lose_the_signal(train_test):
    """Guard for the test above: with labels unrelated to content it is near chance."""
    (train_x, train_y), (test_x, test_y) = train_test
    shuffled = np.random.default_rng(0).permutation(train_y)
    acc = _nearest_class_mean(
        _texture_features(train_x), shuffled, _texture_features(test_x), test_y
    )
    assert acc < 0.33, acc
