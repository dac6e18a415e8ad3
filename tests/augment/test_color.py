"""Colour transforms against NumPy formulas and Pillow's own enhancers."""

import numpy as np
from keras import ops
from PIL import Image, ImageEnhance, ImageOps

from foodvision.augment import color


def batch(seed=0, shape=(3, 10, 12, 3)):
    return np.random.default_rng(seed).integers(0, 256, shape).astype("float32")


def run(function, images, *args):
    out = function(ops, ops.convert_to_tensor(images), *args)
    return np.asarray(ops.convert_to_numpy(out))


def factors(*values):
    return ops.convert_to_tensor(np.asarray(values, "float32"))


def test_brightness_and_contrast_follow_their_formulas():
    images = batch()
    out = run(color.adjust_brightness, images, factors(30.0, -40.0, 0.0))
    expected = np.clip(images + np.array([30.0, -40.0, 0.0])[:, None, None, None], 0, 255)
    np.testing.assert_allclose(out, expected, atol=1e-4)
    out = run(color.adjust_contrast, images, factors(1.2, 0.5, 1.0))
    mean = images.mean(axis=(1, 2), keepdims=True)
    scale = np.array([1.2, 0.5, 1.0])[:, None, None, None]
    np.testing.assert_allclose(out, np.clip(mean + scale * (images - mean), 0, 255), atol=1e-3)


def test_saturation_zero_is_pils_grey_and_one_is_the_image():
    images = batch(1)
    grey = run(color.adjust_saturation, images, factors(0.0, 0.0, 0.0))
    pil = np.asarray(Image.fromarray(images[0].astype("uint8")).convert("L"), "float32")
    np.testing.assert_allclose(grey[0, ..., 0], pil, atol=1.0)  # PIL rounds to uint8
    np.testing.assert_allclose(run(color.adjust_saturation, images, factors(1, 1, 1)), images)


def test_sharpness_matches_pils_enhancer():
    image = batch(2, (1, 16, 16, 3))
    out = run(color.adjust_sharpness, image, factors(1.8))[0]
    pil = Image.fromarray(image[0].astype("uint8"))
    expected = np.asarray(ImageEnhance.Sharpness(pil).enhance(1.8), "float32")
    # PIL rounds its smoothed image and the result to uint8: 0.5 * 0.8 + 0.5 + 0.5 at most
    np.testing.assert_allclose(out, expected, atol=1.41)


def test_posterize_solarize_and_autocontrast_match_pil():
    image = batch(3, (1, 16, 16, 3))
    pil = Image.fromarray(image[0].astype("uint8"))
    np.testing.assert_array_equal(
        run(color.posterize, image, factors(3.0))[0], np.asarray(ImageOps.posterize(pil, 3))
    )
    np.testing.assert_array_equal(
        run(color.solarize, image, factors(100.0))[0], np.asarray(ImageOps.solarize(pil, 100))
    )
    low_contrast = 60 + image / 4
    pil = Image.fromarray(low_contrast[0].astype("uint8"))
    np.testing.assert_allclose(
        run(color.autocontrast, np.floor(low_contrast))[0],
        np.asarray(ImageOps.autocontrast(pil), "float32"),
        atol=1.01,
    )
