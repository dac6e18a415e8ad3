"""The array loader: same files, splits and skipped files as tf.data; decoded once."""

import numpy as np
import pytest
from harness import make_food101, write_bad_files, write_image

import foodvision as fv
from foodvision.data import array_store
from foodvision.data.array_split import ArraySplit


def photo_folder(root, per_class=6, size=(20, 24)):
    """A class-per-folder tree of PNGs (lossless: both loaders decode them exactly)."""
    rng = np.random.default_rng(0)
    for name in ("apple", "kiwi", "plum"):
        for i in range(per_class):
            write_image(root / name / f"{i}.png", rng.integers(0, 256, (*size, 3), np.uint8))
    return root


def load(root, loader, **options):
    return fv.load_image_folder(
        root,
        image_size=(20, 24),
        batch_size=4,
        validation_split=0.25,
        test_split=0.25,
        seed=3,
        loader=loader,
        **options,
    )


def all_batches(split):
    images, labels = zip(*[(np.asarray(x), np.asarray(y)) for x, y in split])
    return np.concatenate(images), np.concatenate(labels)


def test_same_splits_files_and_skipped_files_as_the_tf_loader(tmp_path):
    root = photo_folder(tmp_path / "photos")
    expected = write_bad_files(root / "plum")
    with pytest.warns(UserWarning, match="skipped 5"):
        tf_data = load(root, "tf")
    with pytest.warns(UserWarning, match="skipped 5"):
        arrays = load(root, "arrays")
    assert isinstance(arrays.train, ArraySplit)
    assert arrays.files == tf_data.files and arrays.counts == tf_data.counts
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in arrays.skipped}
    for name, prefix in expected.items():
        assert reasons[name].startswith(prefix), (name, reasons[name])
    for split in ("val", "test"):  # fixed order: the same images, decoded exactly alike
        x_tf, y_tf = all_batches(tf_data.split(split))
        x_arrays, y_arrays = all_batches(arrays.split(split))
        np.testing.assert_array_equal(y_arrays, y_tf)
        np.testing.assert_array_equal(x_arrays, x_tf)
        assert x_arrays.dtype == np.uint8


def test_resizing_matches_a_pillow_resize_of_the_whole_image(tmp_path):
    root = photo_folder(tmp_path / "photos", size=(40, 50))
    data = fv.load_image_folder(root, image_size=(20, 24), validation_split=0.0, loader="arrays")
    path = data.files["train"][0]
    from PIL import Image

    with Image.open(path) as image:
        expected = np.asarray(image.convert("RGB").resize((24, 20), Image.BILINEAR))
    rows = data.train.rows[data.files["train"].index(path)]
    np.testing.assert_array_equal(data.train.images[rows], expected)


def test_training_batches_reshuffle_every_epoch_reproducibly(tmp_path):
    root = photo_folder(tmp_path / "photos", per_class=10)

    def epochs(seed):
        split = (
            load(root, "arrays").train
            if seed is None
            else fv.load_image_folder(
                root,
                image_size=(20, 24),
                batch_size=4,
                validation_split=0.0,
                seed=seed,
                loader="arrays",
            ).train
        )
        first = all_batches(split)
        split.on_epoch_end()
        return first, all_batches(split)

    (x1, y1), (x2, y2) = epochs(0)
    (again, _), _ = epochs(0)
    (other, _), _ = epochs(1)
    np.testing.assert_array_equal(x1, again)
    assert not np.array_equal(x1, x2) and not np.array_equal(x1, other)
    assert sorted(y1.tolist()) == sorted(y2.tolist())  # every image once per epoch


def test_a_cache_folder_keeps_the_store_and_later_loads_decode_nothing(tmp_path, monkeypatch):
    root = photo_folder(tmp_path / "photos")
    first = load(root, "arrays", cache=tmp_path / "cache")
    assert isinstance(first.train.images, np.memmap)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1

    def refuse(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(array_store, "decode_file", refuse)
    again = load(root, "arrays", cache=tmp_path / "cache")
    np.testing.assert_array_equal(all_batches(again.test)[0], all_batches(first.test)[0])


def test_a_store_too_big_for_memory_goes_to_a_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(array_store, "memory_budget", lambda fraction: 10)
    data = load(photo_folder(tmp_path / "photos"), "arrays")
    assert isinstance(data.train.images, np.memmap)
    assert all_batches(data.train)[0].shape[1:] == (20, 24, 3)


def test_epochs_never_read_the_files_again(tmp_path):
    root = photo_folder(tmp_path / "photos")
    data = load(root, "arrays")
    for path in root.rglob("*.png"):
        path.unlink()
    assert len(all_batches(data.train)[0]) == data.num_images("train")


def test_food101_layout_and_options_of_the_tf_pipeline(tmp_path):
    root = make_food101(tmp_path / "food-101")
    data = fv.load_food101(root, image_size=(16, 16), validation_split=0.25, loader="arrays")
    assert data.counts == fv.load_food101(root, image_size=(16, 16), loader="tf").counts
    assert all_batches(data.test)[0].shape == (12, 16, 16, 3)
    with pytest.raises(ValueError, match="antialias belong to the tf.data pipeline"):
        fv.load_food101(root, image_size=(16, 16), loader="arrays", antialias=True)
    with pytest.raises(ValueError, match="loader must be one of"):
        fv.load_food101(root, loader="numpy")


def test_synthetic_data_as_arrays_is_the_same_images():
    arrays = fv.load_synthetic(
        image_size=(32, 32), train_per_class=4, val_per_class=2, test_per_class=2, loader="arrays"
    )
    tf_data = fv.load_synthetic(
        image_size=(32, 32), train_per_class=4, val_per_class=2, test_per_class=2, loader="tf"
    )
    np.testing.assert_array_equal(all_batches(arrays.test)[0], all_batches(tf_data.test)[0])
