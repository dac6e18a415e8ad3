"""Shared fixtures: tiny generated images and the real food101-mini5 dataset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from harness import write_image

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "food101-mini5"
DEFAULT_WEIGHTS = REPO.parent / "shared" / "weights"


def _required_dir(env_var: str, default: Path, what: str) -> Path:
    path = Path(os.environ.get(env_var, default))
    if path.is_dir():
        return path
    message = f"{what} not found at {path}; set {env_var} to its location"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def food101_root() -> Path:
    """The real food101-mini5 dataset (Food-101 layout). Fails in CI when missing."""
    return _required_dir("FOODVISION_TEST_DATA", DEFAULT_DATA, "food101-mini5 dataset")


@pytest.fixture(scope="session")
def weights_dir() -> Path:
    """Directory with ``vgg16_imagenet_notop.weights.h5``. Fails in CI when missing."""
    return _required_dir("FOODVISION_WEIGHTS_DIR", DEFAULT_WEIGHTS, "pretrained weights directory")


@pytest.fixture(scope="session")
def weights_env(weights_dir: Path):
    """``FOODVISION_WEIGHTS_DIR`` set to :func:`weights_dir`, for code that reads it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FOODVISION_WEIGHTS_DIR", str(weights_dir.resolve()))
        yield weights_dir


@pytest.fixture
def make_folder_dataset(tmp_path: Path):
    """Factory for a class-per-folder dataset of small random JPEGs.

    Each class gets a distinct mean colour so that tests can check labels.
    """

    def make(classes=("a", "b", "c"), per_class=10, size=(24, 32), root=None, ext=".jpg"):
        root = Path(root) if root else tmp_path / "folders"
        rng = np.random.default_rng(0)
        for index, name in enumerate(classes):
            for i in range(per_class):
                base = np.full((*size, 3), 40 + 60 * index, dtype=np.uint8)
                noise = rng.integers(0, 20, size=(*size, 3), dtype=np.uint8)
                write_image(root / name / f"img_{i:03d}{ext}", base + noise)
        return root

    return make
