import hashlib
import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from harness import FOOD101_CLASSES, make_food101

import foodvision as fv
from foodvision.data.food101 import download_food101


def test_official_test_split_and_stratified_validation(tmp_path):
    root = make_food101(tmp_path / "food-101")
    data = fv.load_food101(root, image_size=(16, 16), batch_size=4, validation_split=0.25, seed=0)
    assert data.class_names == tuple(FOOD101_CLASSES)
    assert data.counts["train"] == dict.fromkeys(FOOD101_CLASSES, 6)
    assert data.counts["val"] == dict.fromkeys(FOOD101_CLASSES, 2)
    assert data.counts["test"] == dict.fromkeys(FOOD101_CLASSES, 4)
    test_ids = sorted(os.path.basename(p) for p in data.files["test"])
    assert test_ids == sorted([f"{1000 + i}.jpg" for i in range(8, 12)] * 3)
    # the parent folder works too
    assert fv.load_food101(tmp_path, image_size=(16, 16)).class_names == tuple(FOOD101_CLASSES)


def test_class_subset_relabels_in_requested_order(tmp_path):
    root = make_food101(tmp_path / "food-101")
    data = fv.load_food101(root, ["churros", "apple_pie"], image_size=(16, 16))
    assert data.class_names == ("churros", "apple_pie")
    labels = np.concatenate([y.numpy() for _, y in data.test])
    files = data.files["test"]
    assert all(("churros" in f) == (label == 0) for f, label in zip(files, labels))


def test_layout_errors(tmp_path):
    root = make_food101(tmp_path / "food-101")
    with pytest.raises(ValueError, match="did you mean 'churros'"):
        fv.load_food101(root, ["churro", "apple_pie"])
    with pytest.raises(FileNotFoundError, match="not a Food-101 folder"):
        fv.load_food101(root / "images")
    with pytest.raises(FileNotFoundError, match="download=True"):
        fv.load_food101(tmp_path / "missing")
    os.remove(root / "images" / "bibimbap" / "1003.jpg")
    with pytest.raises(FileNotFoundError, match="lists 1 image.*bibimbap/1003"):
        fv.load_food101(root)


def test_empty_list_duplicates_and_overlap(tmp_path):
    root = make_food101(tmp_path / "food-101")
    train_txt = root / "meta" / "train.txt"
    original = train_txt.read_text()
    train_txt.write_text(original + "apple_pie/1000\n")
    data = fv.load_food101(root, image_size=(16, 16), validation_split=0.0)
    assert ("apple_pie/1000", "duplicate entry in meta/train.txt") in data.skipped
    assert data.counts["train"]["apple_pie"] == 8
    train_txt.write_text(original + "apple_pie/1011\n")
    with pytest.raises(ValueError, match="both meta/train.txt and meta/test.txt"):
        fv.load_food101(root)
    train_txt.write_text("")
    with pytest.raises(ValueError, match="train.txt is empty"):
        fv.load_food101(root)


def make_archive(tmp_path: Path, members: Path) -> tuple[str, str]:
    archive = tmp_path / "upload" / "food-101.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(members, arcname="food-101")
    return archive.as_uri(), hashlib.md5(archive.read_bytes()).hexdigest()


def test_download_extracts_once_and_checks_the_hash(tmp_path):
    source = make_food101(tmp_path / "src" / "food-101", train=3, test=1)
    origin, md5 = make_archive(tmp_path, source)
    cache = tmp_path / "cache"
    root = download_food101(cache, origin=origin, file_hash=md5)
    assert Path(root, "meta", "classes.txt").read_text().split() == FOOD101_CLASSES
    assert not [p for p in os.listdir(cache) if p.startswith(".food-101-extract")]
    data = fv.load_food101(cache, download=True, image_size=(16, 16), validation_split=0.0)
    assert data.counts["train"] == dict.fromkeys(FOOD101_CLASSES, 3)

    with pytest.raises(ValueError, match="(?i)hash|corrupt"):
        download_food101(tmp_path / "other", origin=origin, file_hash="0" * 32)


def test_download_refuses_path_traversal(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        payload = b"owned"
        info = tarfile.TarInfo("../escaped.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="refusing to extract"):
        download_food101(tmp_path / "cache", origin=archive.as_uri(), file_hash=md5)
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "cache" / "escaped.txt").exists()
