import os

import numpy as np
import pytest
from harness import write_bad_files

import foodvision as fv


def labels_and_means(dataset):
    labels, means = [], []
    for images, batch_labels in dataset:
        labels.extend(batch_labels.numpy().tolist())
        means.extend(images.numpy().reshape(len(images), -1).mean(axis=1).tolist())
    return np.asarray(labels), np.asarray(means)


def test_counts_splits_and_labels(make_folder_dataset):
    root = make_folder_dataset(classes=("a", "b", "c"), per_class=10)
    data = fv.load_image_folder(
        root, image_size=(16, 16), batch_size=4, validation_split=0.2, test_split=0.3, seed=0
    )
    assert data.class_names == ("a", "b", "c")
    assert data.counts["train"] == {"a": 5, "b": 5, "c": 5}
    assert data.counts["val"] == {"a": 2, "b": 2, "c": 2}
    assert data.counts["test"] == {"a": 3, "b": 3, "c": 3}
    assert data.skipped == []
    assert data.labels_checked  # so fv.train needs no per-batch label check
    # Each class was drawn with its own brightness (40 + 60 * label + noise < 20).
    for split in (data.train, data.val, data.test):
        labels, means = labels_and_means(split)
        assert np.all(np.abs(means - (40 + 60 * labels + 9.5)) < 6)
    images, labels = next(iter(data.train))
    assert images.dtype.name == "uint8" and tuple(images.shape[1:]) == (16, 16, 3)
    assert labels.dtype.name == "int32"
    assert len(set(data.files["train"]) | set(data.files["val"]) | set(data.files["test"])) == 30


def test_same_seed_same_split_other_seed_other_split(make_folder_dataset):
    root = make_folder_dataset(per_class=12)
    a = fv.load_image_folder(root, image_size=(8, 8), seed=1)
    b = fv.load_image_folder(root, image_size=(8, 8), seed=1)
    c = fv.load_image_folder(root, image_size=(8, 8), seed=2)
    assert a.files["val"] == b.files["val"]
    assert a.files["val"] != c.files["val"]
    assert a.test is None


def test_bad_files_are_skipped_and_an_epoch_runs(make_folder_dataset):
    root = make_folder_dataset(classes=("a", "b"), per_class=6)
    expected = write_bad_files(root / "a")
    (root / "b" / ".DS_Store").write_bytes(b"junk")
    (root / "b" / "readme.txt").write_text("not an image")
    with pytest.warns(UserWarning, match="skipped 5 of 17 image files"):
        data = fv.load_image_folder(root, image_size=(16, 16), batch_size=5, validation_split=0.0)
    reasons = {os.path.basename(p): r for p, r in data.skipped}
    assert set(reasons) == set(expected)
    for name, prefix in expected.items():
        assert reasons[name].startswith(prefix)
    assert data.counts["train"] == {"a": 6, "b": 6}
    assert sum(len(labels) for _, labels in data.train) == 12  # a full epoch, no failure


def test_errors_name_the_problem(tmp_path, make_folder_dataset):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fv.load_image_folder(tmp_path / "nope")
    root = make_folder_dataset(classes=("pizza", "sushi"), per_class=3)
    with pytest.raises(ValueError, match="did you mean 'pizza'"):
        fv.load_image_folder(root, classes=["pizzza", "sushi"])
    with pytest.raises(ValueError, match="at least 2 classes"):
        fv.load_image_folder(root, classes=["pizza"])
    (root / "empty").mkdir()
    with pytest.raises(ValueError, match="has no image files"):
        fv.load_image_folder(root)
    with pytest.raises(ValueError, match="validation_split"):
        fv.load_image_folder(root, classes=["pizza", "sushi"], validation_split=1.5)
    single = make_folder_dataset(classes=("only",), per_class=2, root=tmp_path / "single")
    with pytest.raises(ValueError, match="at least 2 classes"):
        fv.load_image_folder(single)


def test_class_with_only_bad_files_is_an_error(make_folder_dataset):
    root = make_folder_dataset(classes=("a",), per_class=4)
    write_bad_files(root / "b")
    with pytest.raises(ValueError, match="no decodable training images for class"):
        with pytest.warns(UserWarning):
            fv.load_image_folder(root, validation_split=0.0)


@pytest.mark.parametrize("cache", ["memory", False])
def test_an_in_memory_cache_is_filled_by_the_check_and_streaming_reads_files(
    make_folder_dataset, cache
):
    """With the cache in memory each file is decoded once, while loading; without, per epoch."""
    root = make_folder_dataset(classes=("a", "b"), per_class=6)
    write_bad_files(root / "a")
    data = fv.load_image_folder(
        root, image_size=(16, 16), batch_size=4, validation_split=0.0, test_split=0.0, cache=cache
    )
    assert len(data.skipped) == len(os.listdir(root / "a")) - 6  # bad files, with reasons
    before = labels_and_means(data.train)
    for folder in ("a", "b"):
        for name in os.listdir(root / folder):
            os.remove(root / folder / name)
    if cache == "memory":
        labels, means = labels_and_means(data.train)  # no file left to read
        assert sorted(labels) == sorted(before[0]) and np.allclose(sorted(means), sorted(before[1]))
    else:
        with pytest.raises(Exception, match="(?i)no such file|not found"):
            labels_and_means(data.train)
