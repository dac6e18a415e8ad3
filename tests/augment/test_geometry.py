"""The affine warp against scipy, exact flips and rotations, crops as matrices."""

import math

import keras
import numpy as np
import pytest
from keras import ops
from scipy import ndimage

from foodvision.augment import geometry
from foodvision.augment.layers import RandomAffine, RandomFlip, RandomResizedCrop


def as_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def scipy_warp(image, matrix):
    """The same warp with scipy: output (row, col) reads input M @ (row, col) + offset."""
    (a, b, c), (d, e, f) = matrix[0], matrix[1]
    linear = np.array([[e, d], [b, a]])
    offset = np.array([f, c])
    return np.stack(
        [
            ndimage.affine_transform(
                image[..., ch].astype("float64"), linear, offset, order=1, mode="reflect"
            )
            for ch in range(image.shape[-1])
        ],
        axis=-1,
    )


def random_matrices(count, height, width, seed=0):
    rng = np.random.default_rng(seed)

    def draw(low, high):
        return ops.convert_to_tensor(rng.uniform(low, high, count).astype("float32"))

    return geometry.centred_transform(
        ops,
        height,
        width,
        angle=draw(-0.7, 0.7),
        scale=draw(0.8, 1.25),
        shear=draw(-0.2, 0.2),
        shear_y=draw(-0.2, 0.2),
        shift_x=draw(-4, 4),
        shift_y=draw(-4, 4),
        flip=ops.convert_to_tensor(np.where(rng.random(count) < 0.5, -1.0, 1.0).astype("float32")),
    )


def test_warp_matches_scipy_affine_transform_with_reflection():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (4, 24, 20, 3)).astype("uint8")
    transforms = random_matrices(4, 24, 20)
    out = as_numpy(geometry.warp(ops.convert_to_tensor(images), transforms, ops))
    for image, matrix, got in zip(images, as_numpy(transforms), out):
        np.testing.assert_allclose(got, scipy_warp(image, matrix), atol=1e-3)


def test_identity_and_quarter_turn_are_exact():
    images = np.random.default_rng(2).integers(0, 256, (2, 9, 9, 3)).astype("uint8")
    one = ops.ones((2,))
    zero = ops.zeros((2,))
    identity = geometry.centred_transform(
        ops, 9, 9, angle=zero, scale=one, shear=zero, shift_x=zero, shift_y=zero, flip=one
    )
    out = as_numpy(geometry.warp(ops.convert_to_tensor(images), identity, ops))
    np.testing.assert_array_equal(out, images)
    quarter = geometry.centred_transform(
        ops,
        9,
        9,
        angle=one * (math.pi / 2),
        scale=one,
        shear=zero,
        shift_x=zero,
        shift_y=zero,
        flip=one,
    )
    out = as_numpy(geometry.warp(ops.convert_to_tensor(images), quarter, ops))
    # output (row r, col c) reads source (row c, col 8 - r): np.rot90 counter-clockwise
    np.testing.assert_allclose(out, np.rot90(images, k=1, axes=(1, 2)), atol=1e-3)


def test_random_flip_is_exact_and_draws_per_image():
    images = np.random.default_rng(3).integers(0, 256, (32, 8, 10, 3)).astype("uint8")
    out = as_numpy(RandomFlip(seed=0)(images, training=True))
    flipped = [np.array_equal(o, np.flip(i, axis=1)) for o, i in zip(out, images)]
    kept = [np.array_equal(o, i) for o, i in zip(out, images)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 4 < sum(flipped) < 28  # each image its own coin


def test_affine_flip_alone_is_exact():
    images = np.random.default_rng(4).integers(0, 256, (16, 8, 10, 3)).astype("uint8")
    out = as_numpy(RandomAffine(horizontal_flip=True, seed=1)(images, training=True))
    for o, i in zip(out, images):
        assert np.array_equal(o, i) or np.array_equal(o, np.flip(i, axis=1))


def test_random_affine_draws_within_its_ranges():
    layer = RandomAffine(rotation=0.1, zoom=0.2, translation=0.1, seed=0)

    class Fixed:
        def uniform(self, shape, low=0.0, high=1.0):
            return ops.full(shape, high)  # every draw at its upper end

    matrix = as_numpy(layer.matrices(Fixed(), ops, 1, 10, 10))[0]
    angle = 0.1 * 2 * math.pi
    scale = 1.2
    np.testing.assert_allclose(matrix[0, 0], math.cos(angle) * scale, rtol=1e-5)
    np.testing.assert_allclose(matrix[1, 0], math.sin(angle) * scale, rtol=1e-5)


def test_resized_crop_of_the_whole_image_is_the_image_and_sizes_follow():
    images = np.random.default_rng(5).integers(0, 256, (3, 12, 12, 3)).astype("uint8")
    full = geometry.crop_transform(
        ops, ops.zeros((3,)), ops.zeros((3,)), ops.full((3,), 12.0), ops.full((3,), 12.0), (12, 12)
    )
    np.testing.assert_allclose(
        as_numpy(geometry.warp(ops.convert_to_tensor(images), full, ops)), images, atol=1e-4
    )
    crop = RandomResizedCrop(scale=(0.3, 0.6), size=(6, 8), seed=0)
    out = crop(images, training=True)
    assert tuple(out.shape) == (3, 6, 8, 3)
    assert crop.compute_output_shape((None, 12, 12, 3)) == (None, 6, 8, 3)
    assert tuple(crop(images, training=False).shape) == (3, 6, 8, 3)


def test_bad_ranges_are_clear_errors():
    with pytest.raises(ValueError, match="zoom must be a fraction"):
        RandomAffine(zoom=1.5)
    with pytest.raises(ValueError, match="scale must be"):
        RandomResizedCrop(scale=(0.5, 0.2))


def test_layers_pass_images_through_at_inference():
    images = np.random.default_rng(6).integers(0, 256, (2, 8, 8, 3)).astype("uint8")
    out = RandomAffine(rotation=0.2, seed=0)(images, training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(out), images)
