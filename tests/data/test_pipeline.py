import shutil

import numpy as np
import pytest
import tensorflow as tf
from harness import write_image

from foodvision.data.checks import CheckedImage, check_images
from foodvision.data.pipeline import (
    jpeg_ratio,
    make_array_dataset,
    make_file_dataset,
    resize_image,
    resolve_cache,
)


def gradient_image(height, width):
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), np.full_like(x, 128)], axis=-1
    ).astype(np.uint8)


def files_dataset(tmp_path, n=6, size=(24, 24), **kwargs):
    paths = [
        str(write_image(tmp_path / f"{i}.png", np.full((*size, 3), i * 10, np.uint8)))
        for i in range(n)
    ]
    checked, skipped = check_images(paths)
    assert not skipped
    return paths, make_file_dataset(
        checked, list(range(n)), image_size=(8, 8), batch_size=2, **kwargs
    )


def epoch(dataset):
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_resize_modes():
    image = tf.constant(np.full((20, 40, 3), 200, np.uint8))
    stretched = resize_image(image, (10, 10), "stretch").numpy()
    assert stretched.shape == (10, 10, 3) and stretched.dtype == np.uint8
    assert np.all(stretched == 200)
    padded = resize_image(image, (10, 10), "pad").numpy()
    assert np.all(padded[:2] == 0) and np.all(padded[-2:] == 0)  # black bars top and bottom
    assert np.all(padded[3:7] == 200)
    # crop keeps the centre: a wide image with red left, green middle, blue right thirds
    wide = np.zeros((30, 90, 3), np.uint8)
    wide[:, :30, 0] = 255
    wide[:, 30:60, 1] = 255
    wide[:, 60:, 2] = 255
    cropped = resize_image(tf.constant(wide), (10, 10), "crop").numpy()
    assert np.all(cropped[..., 1] == 255) and np.all(cropped[..., [0, 2]] == 0)


@pytest.mark.parametrize("method", ["bilinear", "nearest", "area", "bicubic", "lanczos3"])
def test_every_interpolation_rounds_to_uint8(method):
    """uint8 output equals round-half-up of TensorFlow's float resize, clipped to 0..255."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    image[:5] = 255  # a saturated band, where bicubic and lanczos overshoot 255
    image[-5:] = 0
    for size in [(16, 16), (60, 70)]:
        got = resize_image(tf.constant(image), size, "stretch", method).numpy()
        floats = tf.image.resize(image.astype(np.float32), size, method=method).numpy()
        expected = np.clip(np.floor(floats + 0.5), 0, 255).astype(np.uint8)
        assert got.dtype == np.uint8 and got.shape == (*size, 3)
        np.testing.assert_array_equal(got, expected)


def test_unknown_resize_mode(tmp_path):
    with pytest.raises(ValueError, match="stretch, crop, pad"):
        files_dataset(tmp_path, resize="fit")


def test_jpeg_ratio_picks_the_largest_scale_that_covers_the_target():
    image = CheckedImage("a.jpg", 256, 200, "JPEG")
    assert jpeg_ratio(image, (128, 100)) == 2
    assert jpeg_ratio(image, (32, 25)) == 8
    assert jpeg_ratio(image, (200, 200)) == 1
    assert jpeg_ratio(CheckedImage("a.png", 256, 256, "PNG"), (32, 32)) == 1


def test_scaled_jpeg_decode_is_close_to_full_decode(tmp_path):
    path = write_image(tmp_path / "big.jpg", gradient_image(256, 192), quality=95)
    checked, _ = check_images([str(path)])
    fast, slow = (
        next(
            iter(
                make_file_dataset(
                    checked,
                    [0],
                    image_size=(64, 48),
                    cache=False,
                    antialias=True,
                    jpeg_downscale=flag,
                )
            )
        )[0].numpy()
        for flag in (True, False)
    )
    assert np.abs(fast.astype(int) - slow.astype(int)).mean() < 2.0


def test_cached_epochs_do_not_read_files_again(tmp_path):
    paths, dataset = files_dataset(tmp_path, cache=True)
    first = epoch(dataset)
    for path in paths:  # any decode after this would fail
        shutil.os.remove(path)
    second = epoch(dataset)
    assert sorted(np.concatenate([y for _, y in first])) == list(range(6))
    assert sorted(np.concatenate([y for _, y in second])) == list(range(6))


def test_disk_cache_survives_a_new_pipeline(tmp_path):
    cache_dir = tmp_path / "cache"
    paths, dataset = files_dataset(tmp_path / "src", cache=cache_dir)
    first = epoch(dataset)
    checked, _ = check_images(paths)
    for path in paths:
        shutil.os.remove(path)
    again = make_file_dataset(
        checked, list(range(6)), image_size=(8, 8), batch_size=2, cache=cache_dir
    )
    assert sorted(np.concatenate([y for _, y in epoch(again)])) == list(range(6))
    assert len(first) == 3


def test_uncached_pipeline_reads_files_every_epoch(tmp_path):
    paths, dataset = files_dataset(tmp_path, cache=False)
    epoch(dataset)
    shutil.os.remove(paths[0])
    with pytest.raises(tf.errors.NotFoundError):
        epoch(dataset)


def test_seeded_shuffle_is_repeatable_and_reshuffles_each_epoch():
    images = np.zeros((40, 4, 4, 3), np.uint8)
    labels = np.arange(40)

    def orders(seed):
        ds = make_array_dataset(images, labels, batch_size=40, shuffle=True, seed=seed)
        return [next(iter(ds))[1].numpy().tolist() for _ in range(2)]

    a, b = orders(0), orders(0)
    assert a == b
    assert a[0] != a[1]
    assert orders(1)[0] != a[0]


def test_augment_is_mapped_on_batches():
    images = np.full((6, 4, 4, 3), 10, np.uint8)
    ds = make_array_dataset(
        images,
        np.arange(6),
        batch_size=3,
        augment=lambda x, y: (tf.cast(x, tf.float32) * 2, y + 100),
    )
    x, y = next(iter(ds))
    assert float(x[0, 0, 0, 0]) == 20.0 and y.numpy().tolist() == [100, 101, 102]


def test_resolve_cache_policy(tmp_path):
    assert resolve_cache(False, 10, (8, 8)) is None
    assert resolve_cache(True, 10, (8, 8)) == ""
    assert resolve_cache("memory", 10, (8, 8)) == ""
    assert resolve_cache("auto", 10, (8, 8)) == ""
    assert resolve_cache("auto", 10**9, (512, 512)) is None  # would not fit in memory
    assert resolve_cache(tmp_path, 10, (8, 8)) == str(tmp_path)


def test_array_dataset_rejects_bad_shapes():
    with pytest.raises(ValueError, match="expected images"):
        make_array_dataset(np.zeros((4, 8, 8)), np.arange(4))
