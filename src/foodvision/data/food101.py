"""Food-101 (Bossard et al., ECCV 2014) in its official layout, with download.

Layout::

    food-101/
      images/<class>/<id>.jpg
      meta/classes.txt   one class name per line
      meta/train.txt     <class>/<id> per line (no extension)
      meta/test.txt      <class>/<id> per line: the official test split
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from foodvision.base.checks import check_fraction, check_int
from foodvision.data.checks import is_image_file
from foodvision.data.folders import list_class_folders, select_classes
from foodvision.data.image_data import ImageData
from foodvision.data.sources import (
    build_image_data,
    carve_split,
    load_checked_files,
    require_directory,
    resolve_loader,
)

FOOD101_URL = "http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz"
"""The official archive (about 5 GB)."""
FOOD101_MD5 = "85eeb15f3717b99a5da872d97d918f87"
"""MD5 of the official archive."""
FOOD101_DIRNAME = "food-101"
_STAGING_PREFIX = ".food-101-extract-"


def default_food101_dir() -> str:
    """Where :func:`download_food101` puts the dataset by default (Keras's cache)."""
    import keras

    return os.path.join(keras.config.keras_home(), "datasets")


def find_food101_root(path: str | os.PathLike) -> str:
    """Return the Food-101 root at ``path`` or inside it (``path/food-101``).

    Raises:
        FileNotFoundError: If ``path`` is missing or holds no ``meta/`` and ``images/``.

    """
    root = require_directory(path, "Food-101 folder")
    for candidate in (root, os.path.join(root, FOOD101_DIRNAME)):
        if os.path.isdir(os.path.join(candidate, "meta")) and os.path.isdir(
            os.path.join(candidate, "images")
        ):
            return candidate
    raise FileNotFoundError(
        f"{root!r} is not a Food-101 folder: expected images/<class>/<id>.jpg and "
        "meta/train.txt, meta/test.txt (meta/ or images/ is missing). For a "
        "class-per-folder dataset use load_image_folder instead."
    )


class CorruptArchiveError(ValueError):
    """The archive is truncated or not a tar file (e.g. a partial download)."""


def _safe_extract(archive: str, destination: str) -> None:
    """Extract a tar archive refusing absolute paths, '..' and links leaving the target.

    Raises:
        ValueError: For an unsafe member (nothing is written outside ``destination``).
        CorruptArchiveError: For a truncated or unreadable archive.
        RuntimeError: On a Python without tarfile's extraction filters.

    """
    if not hasattr(tarfile, "data_filter"):
        raise RuntimeError(
            "extracting archives safely needs tarfile's 'data' filter (Python 3.10.12, "
            "3.11.4, 3.12 or newer); upgrade Python, or extract the archive yourself and "
            "pass its folder as root"
        )
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(destination, filter="data")
    except tarfile.FilterError as err:
        raise ValueError(
            f"refusing to extract {archive!r}: {err} (unsafe path or link in the archive)"
        ) from err
    except (tarfile.ReadError, EOFError, zlib.error) as err:
        reason = " ".join(str(err).split())  # tarfile's reasons span several lines
        raise CorruptArchiveError(
            f"{archive!r} is truncated or not a tar archive ({reason})"
        ) from err


def _fetch_archive(directory: str, origin: str, file_hash: str | None, force: bool) -> str:
    """Download the archive into ``directory`` (or reuse it); delete it on a bad hash."""
    import keras

    fname = f"{FOOD101_DIRNAME}.tar.gz"
    try:
        return keras.utils.get_file(
            fname=fname,
            origin=origin,
            file_hash=file_hash,
            cache_dir=directory,
            cache_subdir="",
            force_download=force,
        )
    except ValueError as err:
        if "hash" not in str(err):
            raise
        Path(directory, fname).unlink(missing_ok=True)
        raise ValueError(
            f"the archive downloaded from {origin} does not match file_hash {file_hash!r}, "
            "so it was deleted and nothing was extracted; check the URL and the hash "
            "(MD5 or SHA-256 of the archive)"
        ) from err


def _remove_stale_staging(directory: str) -> None:
    """Delete the staging folders of extractions that were killed half-way."""
    for name in os.listdir(directory):
        if name.startswith(_STAGING_PREFIX):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def _extract_into_place(archive: str, directory: str, target: str) -> None:
    """Extract ``archive`` into a staging folder, then rename its Food-101 root to ``target``."""
    staging = tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=directory)
    try:
        _safe_extract(archive, staging)
        extracted = find_food101_root(staging)
        os.replace(extracted, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def download_food101(
    directory: str | os.PathLike | None = None,
    *,
    origin: str = FOOD101_URL,
    file_hash: str | None = FOOD101_MD5,
) -> str:
    """Download and extract the official Food-101 archive, once.

    The archive is fetched with ``keras.utils.get_file`` (progress bar, hash check; a
    partial or corrupted download is fetched again) and extracted with tarfile's
    ``data`` filter into a temporary folder that is renamed into place, so an
    interrupted extraction never leaves a half-written dataset. An archive whose hash
    does not match is deleted; without a hash, an archive that cannot be read (a
    partial download left by an earlier attempt) is fetched once more.

    Args:
        directory: Folder for the archive and the extracted ``food-101/``; default
            ``~/.keras/datasets``.
        origin: URL of the archive.
        file_hash: Expected MD5 or SHA-256 of the archive; ``None`` skips the check.

    Returns:
        The Food-101 root (``<directory>/food-101``).

    Raises:
        ValueError: For a hash mismatch or an archive with unsafe members (absolute
            paths, ``..``, links leaving the folder); nothing is extracted.
        CorruptArchiveError: If the archive cannot be read even after a new download.

    Example:
        >>> root = download_food101()  # doctest: +SKIP

    """
    directory = os.path.abspath(os.fspath(directory or default_food101_dir()))
    target = os.path.join(directory, FOOD101_DIRNAME)
    if os.path.isdir(os.path.join(target, "meta")):
        return target
    os.makedirs(directory, exist_ok=True)
    _remove_stale_staging(directory)
    archive = _fetch_archive(directory, origin, file_hash, force=False)
    try:
        _extract_into_place(archive, directory, target)
    except CorruptArchiveError:
        # a partial download kept from an earlier attempt (no hash to tell): fetch again
        archive = _fetch_archive(directory, origin, file_hash, force=True)
        try:
            _extract_into_place(archive, directory, target)
        except CorruptArchiveError as err:
            os.remove(archive)
            raise CorruptArchiveError(
                f"{err}; downloaded again from {origin} and still unreadable, so it was "
                "deleted. Check the URL, or pass file_hash to detect a bad download"
            ) from err
    return target


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: a Food-101 folder needs meta/train.txt and meta/test.txt"
        )
    lines = [line.strip() for line in path.read_text().splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ValueError(f"{path} is empty: it should list <class>/<id> entries, one per line")
    return lines


def _split_entries(
    root: Path,
    split: str,
    class_names: Sequence[str],
    class_files: dict[str, dict[str, str]],
    available: Sequence[str],
) -> tuple[list[str], list[int], list[tuple[str, str]]]:
    """Paths and labels of the chosen classes listed in ``meta/<split>.txt``.

    Lines of classes that were not chosen are left out; lines that name no known class
    (a typo, no ``/``) are skipped and reported, never dropped without a word.
    """
    known = set(available)
    list_file = root / "meta" / f"{split}.txt"
    index = {name: i for i, name in enumerate(class_names)}
    paths: list[str] = []
    labels: list[int] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    missing: list[str] = []
    for entry in _read_lines(list_file):
        class_name, _, stem = entry.rpartition("/")
        if class_name not in index:
            if class_name not in known:
                skipped.append(
                    (
                        entry,
                        f"malformed entry in meta/{split}.txt: not <class>/<image id> "
                        "with a class of meta/classes.txt",
                    )
                )
            continue
        if entry in seen:
            skipped.append((entry, f"duplicate entry in meta/{split}.txt"))
            continue
        seen.add(entry)
        filename = class_files[class_name].get(stem)
        if filename is None:
            missing.append(entry)
            continue
        paths.append(str(root / "images" / class_name / filename))
        labels.append(index[class_name])
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise FileNotFoundError(
            f"meta/{split}.txt lists {len(missing)} image(s) that are not in "
            f"{root / 'images'}: {shown}. The dataset is incomplete: download or extract it "
            "again, or remove those lines."
        )
    return paths, labels, skipped


def load_food101(
    root: str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
    *,
    download: bool = False,
    image_size: Sequence[int] = (128, 128),
    batch_size: int = 32,
    validation_split: float = 0.2,
    seed: int = 0,
    loader: str = "auto",
    **pipeline_options: Any,
) -> ImageData:
    """Load Food-101 (or any dataset in its layout) with the official test split.

    The validation split is carved from the official training list, stratified per
    class and seeded; the test split is ``meta/test.txt``. Files that cannot be decoded
    are skipped and listed in ``ImageData.skipped``.

    Args:
        root: The ``food-101`` folder or its parent; default ``~/.keras/datasets``.
        classes: Subset of classes, in label order; default all in ``meta/classes.txt``.
        download: Fetch the official archive (about 5 GB) when ``root`` has no dataset.
        image_size: ``(height, width)`` of the output images.
        batch_size: Images per batch.
        validation_split: Fraction of each class's training images used for validation.
        seed: Seed of the validation split and of the training shuffle.
        loader: ``"tf"``, ``"arrays"`` or ``"auto"`` (see
            :func:`foodvision.load_image_folder`).
        **pipeline_options: ``cache``, ``resize``, ``interpolation``, ``antialias``,
            ``jpeg_downscale``, ``augment`` (see :func:`make_file_dataset`); the
            array loader takes ``cache`` and ``resize``.

    Returns:
        An :class:`ImageData`.

    Raises:
        FileNotFoundError: If the folder, ``meta/`` or listed images are missing.
        ValueError: For an unknown class, fewer than 2 classes, an empty list file or an
            image listed in both train and test.

    Example:
        >>> data = fv.load_food101("food-101", classes=["pizza", "sushi"])  # doctest: +SKIP

    """
    validation_split = check_fraction("validation_split", validation_split)
    check_int("batch_size", batch_size, 1)
    base = Path(locate_food101(root, download=download))
    classes_file = base / "meta" / "classes.txt"
    available = (
        _read_lines(classes_file)
        if classes_file.is_file()
        else list_class_folders(str(base / "images"))
    )
    class_names = select_classes(available, classes, str(base))
    class_files: dict[str, dict[str, str]] = {}
    for name in class_names:
        folder = base / "images" / name
        names = sorted(os.listdir(folder)) if folder.is_dir() else []
        class_files[name] = {os.path.splitext(n)[0]: n for n in names if is_image_file(n)}

    train_paths, train_labels, skipped = _split_entries(
        base, "train", class_names, class_files, available
    )
    test_paths, test_labels, test_skipped = _split_entries(
        base, "test", class_names, class_files, available
    )
    overlap = set(train_paths) & set(test_paths)
    if overlap:
        raise ValueError(
            f"{len(overlap)} image(s) are listed in both meta/train.txt and meta/test.txt "
            f"(e.g. {sorted(overlap)[0]}); remove them from one list so the test set stays unseen"
        )
    loader = resolve_loader(loader)
    common = dict(loader=loader, image_size=image_size, options=pipeline_options)
    train_images, train_labels, bad_train, train_store = load_checked_files(
        train_paths, train_labels, name="train", **common
    )
    test_images, test_labels, bad_test, test_store = load_checked_files(
        test_paths, test_labels, name="test", **common
    )
    val, train = carve_split(train_images, train_labels, validation_split, seed)
    return build_image_data(
        {"train": train, "val": val, "test": (test_images, test_labels)},
        class_names,
        skipped=skipped + test_skipped + bad_train + bad_test,
        total_files=len(train_paths) + len(test_paths),
        source=f"Food-101 {base}",
        image_size=image_size,
        batch_size=batch_size,
        seed=seed,
        decoded=[store for store in (train_store, test_store) if store is not None],
        **pipeline_options,
    )


def locate_food101(root: str | os.PathLike | None = None, *, download: bool = False) -> str:
    """The Food-101 root at ``root`` or inside it, fetched first when asked and missing.

    Args:
        root: The ``food-101`` folder or its parent; default ``~/.keras/datasets``.
        download: Fetch the official archive (:func:`download_food101`) when ``root``
            has no dataset.

    Raises:
        FileNotFoundError: If there is no dataset there (and ``download`` is off).

    Example:
        >>> locate_food101("food-101")  # doctest: +SKIP
        'food-101'
    """
    location = os.fspath(root) if root is not None else default_food101_dir()
    if download and not _has_dataset(location):
        location = download_food101(location)
    elif not os.path.isdir(location):
        raise FileNotFoundError(
            f"Food-101 folder {location!r} not found: it does not exist. Pass download=True "
            "to fetch the official archive, or point root at an extracted copy."
        )
    return find_food101_root(location)


def _has_dataset(location: str) -> bool:
    try:
        find_food101_root(location)
    except FileNotFoundError:
        return False
    return True
