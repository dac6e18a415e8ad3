"""Integration tests on the real food101-mini5 photos (Food-101 layout)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from harness import write_bad_files

import foodvision as fv

pytestmark = pytest.mark.integration
CLASSES = ("apple_pie", "baby_back_ribs", "beef_carpaccio", "beignets", "bibimbap")


def test_counts_and_seeded_validation_split(food101_root):
    data = fv.load_food101(food101_root, image_size=(32, 32), validation_split=0.2, seed=0)
    assert data.class_names == CLASSES
    assert sum(data.counts["train"].values()) == 1500
    assert data.counts["val"] == dict.fromkeys(CLASSES, 75)
    assert sum(data.counts["test"].values()) == 625
    assert data.skipped == []
    again = fv.load_food101(food101_root, image_size=(32, 32), validation_split=0.2, seed=0)
    other = fv.load_food101(food101_root, image_size=(32, 32), validation_split=0.2, seed=1)
    assert again.files["val"] == data.files["val"]
    assert set(other.files["val"]) != set(data.files["val"])
    images, labels = next(iter(data.test))
    assert images.dtype.name == "uint8" and tuple(images.shape) == (32, 32, 32, 3)
    assert np.all(labels.numpy() == 0)  # the official test list starts with apple_pie


def test_copy_with_bad_files_skips_each_and_runs_an_epoch(food101_root, tmp_path):
    root = tmp_path / "food-101"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    train, test = [], []
    for name in CLASSES:
        folder = root / "images" / name
        folder.mkdir(parents=True)
        originals = sorted(os.listdir(Path(food101_root) / "images" / name))[:12]
        for index, file in enumerate(originals):
            (folder / file).symlink_to(Path(food101_root) / "images" / name / file)
            (train if index < 8 else test).append(f"{name}/{Path(file).stem}")
    expected = write_bad_files(root / "images" / "bibimbap")
    train += [f"bibimbap/{Path(name).stem}" for name in expected if name.endswith(".jpg")]
    (root / "meta" / "train.txt").write_text("\n".join(train) + "\n")
    (root / "meta" / "test.txt").write_text("\n".join(test) + "\n")
    with pytest.warns(UserWarning, match="skipped 3 of"):
        data = fv.load_food101(root, image_size=(64, 64), batch_size=7, validation_split=0.25)
    reasons = {Path(p).name: r for p, r in data.skipped}
    assert {n: r.split(":")[0] for n, r in reasons.items()} == {
        "zero.jpg": "empty file (0 bytes)",
        "truncated.jpg": "corrupt or truncated JPEG data",
        "random.jpg": "not an image",
    }
    assert data.counts["train"] == dict.fromkeys(CLASSES, 6)
    assert data.counts["test"] == dict.fromkeys(CLASSES, 4)
    assert sum(len(y) for _, y in data.train) == 30

    # the same files as a class-per-folder dataset: every kind of bad file is skipped
    with pytest.warns(UserWarning, match="skipped 5 of 65"):
        folder_data = fv.load_image_folder(
            root / "images", image_size=(64, 64), validation_split=0.0
        )
    assert {Path(p).name for p, _ in folder_data.skipped} == set(expected)
    assert sum(len(y) for _, y in folder_data.train) == 60


def test_cli_data_summary(food101_root):
    result = subprocess.run(
        [sys.executable, "-m", "foodvision", "data", str(food101_root)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "classes: 5" in result.stdout
    for name in CLASSES:
        assert name in result.stdout
    assert re.search(r"^total\s+1500\s+375\s+625$", result.stdout, re.M), result.stdout
