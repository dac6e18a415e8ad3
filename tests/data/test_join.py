"""Joining the validation images into the training split: every image once, reshuffled."""

import dataclasses
import hashlib

import numpy as np
import pytest
from harness import tiny_image_data, write_image

import foodvision as fv
from foodvision.data.from_arrays import image_data_from_arrays


def items(split):
    """The split's ``(image digest, label)`` pairs, sorted, and the order they came in."""
    pairs = [
        (hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest(), int(label))
        for images, labels in split
        for image, label in zip(np.asarray(images), np.asarray(labels))
    ]
    return sorted(pairs), [digest for digest, _ in pairs]


def check_joined(data, joined):
    assert joined.val is None and joined.test is data.test
    assert sorted(items(data.train)[0] + items(data.val)[0]) == items(joined.train)[0]
    assert joined.num_images("train") == data.num_images("train") + data.num_images("val")
    assert "val" not in joined.counts
    for name in data.class_names:
        expected = data.counts["train"][name] + data.counts["val"][name]
        assert joined.counts["train"][name] == expected
    first = items(joined.train)[1]
    if hasattr(joined.train, "on_epoch_end"):  # an array split: Keras ends each epoch
        joined.train.on_epoch_end()
    second = items(joined.train)[1]
    assert first != second  # a training split: a new order every epoch


def test_tf_data_splits_join_every_image_once():
    data = tiny_image_data(per_class=12, size=8, batch_size=5)
    joined = fv.join_train_and_val(data, seed=1)
    check_joined(data, joined)
    assert "joined" in joined.source
    assert all(len(labels) == 5 for _, labels in list(joined.train)[:-1])


def test_array_splits_of_one_store_keep_sharing_it(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("apple", "kiwi", "plum"):
        for i in range(8):
            write_image(tmp_path / name / f"{i}.png", rng.integers(0, 256, (12, 10, 3), np.uint8))
    data = fv.load_image_folder(
        tmp_path, image_size=(12, 10), batch_size=4, validation_split=0.25, loader="arrays"
    )
    joined = fv.join_train_and_val(data)
    check_joined(data, joined)
    assert joined.train.images is data.train.images
    assert sorted(joined.files["train"]) == sorted(data.files["train"] + data.files["val"])
    assert "val" not in joined.files


def test_array_splits_of_two_stores_are_copied_into_one():
    rng = np.random.default_rng(1)
    train = rng.integers(0, 256, (9, 6, 6, 3), np.uint8), np.arange(9) % 3
    val = rng.integers(0, 256, (4, 6, 6, 3), np.uint8), np.arange(4) % 3
    data = image_data_from_arrays(*train, batch_size=4, validation_data=val)
    check_joined(data, fv.join_train_and_val(data))


def test_data_without_validation_or_of_two_kinds_is_refused():
    data = image_data_from_arrays(np.zeros((4, 6, 6, 3), np.uint8), np.arange(4) % 2)
    with pytest.raises(ValueError, match="no validation split"):
        fv.join_train_and_val(data)
    mixed = dataclasses.replace(data, val=tiny_image_data().val)
    with pytest.raises(ValueError, match="or both array splits, got ArraySplit"):
        fv.join_train_and_val(mixed)


def test_tf_data_validation_images_beyond_the_memory_budget_are_refused(monkeypatch):
    from foodvision.data import join

    monkeypatch.setattr(join, "memory_budget", lambda fraction: 100)  # bytes
    with pytest.raises(ValueError, match="loader='arrays'"):
        fv.join_train_and_val(tiny_image_data(per_class=12, size=8))
