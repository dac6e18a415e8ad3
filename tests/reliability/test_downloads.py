"""Download safety of ``download_food101``, offline: archives are served from file:// URLs.

Checked: the hash of the archive (a mismatch is a clear error and the file is deleted, a
cached file that fails the hash is fetched again), safe extraction (no member or link
may reach outside the target folder; nothing is extracted then) and recovery from a
partial download or a killed extraction.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from harness import write_image

import foodvision as fv
from foodvision.data.food101 import CorruptArchiveError, download_food101

CLASSES = ("apple_pie", "churros")
ARCHIVE = "food-101.tar.gz"


def make_layout(root: Path, classes=CLASSES, train: int = 3, test: int = 1) -> Path:
    """A tiny Food-101 folder: PIL-made JPEGs, meta/classes.txt, train.txt, test.txt."""
    rng = np.random.default_rng(0)
    lines: dict[str, list[str]] = {"train": [], "test": []}
    for index, name in enumerate(classes):
        for i in range(train + test):
            pixels = np.full((12, 16, 3), 60 * index, np.uint8) + rng.integers(0, 30, (12, 16, 3))
            write_image(root / "images" / name / f"{100 + i}.jpg", pixels.astype(np.uint8))
            lines["train" if i < train else "test"].append(f"{name}/{100 + i}")
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "classes.txt").write_text("\n".join(classes) + "\n")
    for split, entries in lines.items():
        (root / "meta" / f"{split}.txt").write_text("\n".join(entries) + "\n")
    return root


def make_archive(path: Path, layout: Path, extra: Callable[[tarfile.TarFile], None] = None):
    """Write ``layout`` as ``food-101/`` into the tar.gz ``path`` (plus ``extra`` members)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        tar.add(layout, arcname="food-101")
        if extra is not None:
            extra(tar)
    return path


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A good archive in ``tmp_path/server`` (its ``as_uri()`` is the origin)."""
    layout = make_layout(tmp_path / "layout" / "food-101")
    return make_archive(tmp_path / "server" / ARCHIVE, layout)


def files_under(root: Path) -> dict[str, bytes]:
    """Every regular file under ``root`` with its content."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def assert_loads(cache: Path, classes=CLASSES) -> None:
    """The extracted dataset loads with the official split sizes."""
    data = fv.load_food101(cache, image_size=(8, 8), validation_split=0.0)
    assert data.class_names == tuple(classes)
    assert data.counts["train"] == dict.fromkeys(classes, 3)
    assert data.counts["test"] == dict.fromkeys(classes, 1)
    assert not data.skipped


def assert_nothing_extracted(cache: Path) -> None:
    assert not (cache / "food-101").exists()
    assert not [p.name for p in cache.iterdir() if p.name.startswith(".food-101-extract")]


# hash check -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_a_wrong_hash_is_a_clear_error_and_the_archive_is_deleted(tmp_path, served, algorithm):
    cache = tmp_path / "cache"
    wrong = "0" * (32 if algorithm == "md5" else 64)
    with pytest.raises(ValueError, match=r"does not match file_hash '0+'.*deleted"):
        download_food101(cache, origin=served.as_uri(), file_hash=wrong)
    assert not (cache / ARCHIVE).exists()
    assert_nothing_extracted(cache)
    right = md5(served) if algorithm == "md5" else sha256(served)
    download_food101(cache, origin=served.as_uri(), file_hash=right)
    assert_loads(cache)


def test_a_cached_archive_that_fails_the_hash_is_not_used(tmp_path, served):
    cache = tmp_path / "cache"
    tampered = make_layout(tmp_path / "tampered" / "food-101", classes=("evil", "pie"))
    make_archive(cache / ARCHIVE, tampered)
    download_food101(cache, origin=served.as_uri(), file_hash=md5(served))
    assert (cache / ARCHIVE).read_bytes() == served.read_bytes()
    assert_loads(cache)


# safe extraction ----------------------------------------------------------------------

OUTSIDE = "outside/secret.txt"  # relative to tmp_path; the cache is tmp_path/cache


def add_file(name: str) -> Callable[[tarfile.TarFile], None]:
    def extra(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.size = 5
        tar.addfile(info, io.BytesIO(b"owned"))

    return extra


def add_link(name: str, target: str, kind: bytes) -> Callable[[tarfile.TarFile], None]:
    def extra(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.linkname = target
        tar.addfile(info)

    return extra


def add_symlink_then_write_through(tar: tarfile.TarFile) -> None:
    add_link("food-101/escape", "../../../outside", tarfile.SYMTYPE)(tar)
    add_file("food-101/escape/secret.txt")(tar)


def add_fifo(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("food-101/images/pipe")
    info.type = tarfile.FIFOTYPE
    tar.addfile(info)


# The staging folder is tmp_path/cache/.food-101-extract-*/; a symlink in
# food-101/images/apple_pie/ needs five "..", a hard link (relative to the staging root) two.
UNSAFE = {
    "dotdot-file": add_file("../../outside/secret.txt"),
    "dotdot-in-the-middle": add_file("food-101/images/../../../outside/secret.txt"),
    "symlink-relative-out": add_link(
        "food-101/images/apple_pie/999.jpg", "../../../../../" + OUTSIDE, tarfile.SYMTYPE
    ),
    "symlink-absolute": add_link("food-101/images/apple_pie/9.jpg", "/etc/passwd", tarfile.SYMTYPE),
    "hardlink-relative-out": add_link("food-101/meta/x.txt", "../../" + OUTSIDE, tarfile.LNKTYPE),
    "hardlink-absolute": add_link("food-101/meta/x.txt", "/etc/passwd", tarfile.LNKTYPE),
    "symlink-dir-then-write": add_symlink_then_write_through,
    "device-or-fifo": add_fifo,
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_members_are_refused_and_nothing_is_extracted(tmp_path, case):
    secret = tmp_path / OUTSIDE
    secret.parent.mkdir()
    secret.write_text("secret")
    layout = make_layout(tmp_path / "layout" / "food-101")
    archive = make_archive(tmp_path / "server" / ARCHIVE, layout, UNSAFE[case])
    cache = tmp_path / "cache"
    before = files_under(tmp_path)
    with pytest.raises(ValueError, match="refusing to extract .*unsafe path or link"):
        download_food101(cache, origin=archive.as_uri(), file_hash=md5(archive))
    after = files_under(tmp_path)
    assert after.pop(f"cache/{ARCHIVE}") == archive.read_bytes()  # the only new file
    assert after == before
    assert secret.read_text() == "secret"
    assert_nothing_extracted(cache)


def test_an_absolute_member_lands_inside_the_target_or_nowhere(tmp_path):
    outside = tmp_path / "abs" / "planted.txt"
    layout = make_layout(tmp_path / "layout" / "food-101")
    archive = make_archive(tmp_path / "server" / ARCHIVE, layout, add_file(str(outside)))
    cache = tmp_path / "cache"
    try:
        download_food101(cache, origin=archive.as_uri(), file_hash=md5(archive))
    except ValueError as err:
        assert "refusing to extract" in str(err)
    assert not outside.exists()
    assert not [p for p in tmp_path.rglob("planted.txt") if cache not in p.parents]


# interrupted downloads and extractions ------------------------------------------------


@pytest.mark.parametrize("with_hash", [True, False], ids=["hash", "no-hash"])
def test_a_partial_download_in_the_cache_is_fetched_again(tmp_path, served, with_hash):
    cache = tmp_path / "cache"
    cache.mkdir()
    full = served.read_bytes()
    (cache / ARCHIVE).write_bytes(full[: len(full) // 2])  # a download cut half-way
    file_hash = md5(served) if with_hash else None
    root = download_food101(cache, origin=served.as_uri(), file_hash=file_hash)
    assert Path(root) == cache / "food-101"
    assert (cache / ARCHIVE).read_bytes() == full
    assert_nothing_extracted_but_the_dataset(cache)
    assert_loads(cache)


def assert_nothing_extracted_but_the_dataset(cache: Path) -> None:
    assert sorted(p.name for p in cache.iterdir()) == sorted([ARCHIVE, "food-101"])


def test_an_unreadable_archive_without_hash_is_a_clear_error_and_deleted(tmp_path):
    garbage = tmp_path / "server" / ARCHIVE
    garbage.parent.mkdir()
    garbage.write_bytes(b"\x1f\x8b" + os.urandom(2000))  # gzip magic, then noise
    cache = tmp_path / "cache"
    with pytest.raises(CorruptArchiveError, match="truncated or not a tar archive.*deleted"):
        download_food101(cache, origin=garbage.as_uri(), file_hash=None)
    assert not (cache / ARCHIVE).exists()
    assert_nothing_extracted(cache)


def test_a_killed_extraction_leaves_nothing_behind_on_the_next_run(tmp_path, served):
    cache = tmp_path / "cache"
    half_done = cache / ".food-101-extract-k1ll3d" / "food-101" / "images" / "apple_pie"
    half_done.mkdir(parents=True)
    (half_done / "100.jpg").write_bytes(b"\xff\xd8 half a jpeg")
    download_food101(cache, origin=served.as_uri(), file_hash=md5(served))
    assert_nothing_extracted_but_the_dataset(cache)
    assert_loads(cache)
