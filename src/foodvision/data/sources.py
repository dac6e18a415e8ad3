"""Shared steps of the file-based sources: check files, split, build the datasets.

Two loaders turn checked files into batches:

- ``"tf"``: the tf.data pipeline (:func:`foodvision.data.pipeline.make_file_dataset`);
- ``"arrays"``: every file decoded once with Pillow into one uint8 array
  (:mod:`foodvision.data.array_store`), batched by
  :class:`~foodvision.data.array_split.ArraySplit`; no TensorFlow.

``loader="auto"`` takes ``"tf"`` when TensorFlow is installed, else ``"arrays"``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from foodvision.base.checks import check_choice
from foodvision.data.checks import CheckedImage, check_images, warn_skipped
from foodvision.data.image_data import ImageData
from foodvision.data.splits import stratified_split

LOADERS = ("auto", "tf", "arrays")
"""Accepted values of ``loader``."""

_ARRAY_OPTIONS = ("cache", "resize")
"""The pipeline options the array loader takes (the others belong to tf.data)."""


def tensorflow_installed() -> bool:
    """Whether ``tensorflow`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def resolve_loader(loader: str) -> str:
    """``"tf"`` or ``"arrays"`` for a ``loader`` argument.

    Raises:
        ValueError: For an unknown loader, or ``"tf"`` without TensorFlow.

    Example:
        >>> resolve_loader("arrays")
        'arrays'

    """
    check_choice("loader", loader, LOADERS)
    if loader == "auto":
        return "tf" if tensorflow_installed() else "arrays"
    if loader == "tf" and not tensorflow_installed():
        raise ValueError(
            "loader='tf' needs TensorFlow, which is not installed; use loader='arrays' "
            "(decodes with Pillow, no TensorFlow) or pip install tensorflow-cpu"
        )
    return loader


def array_cache(cache: Any) -> str | None:
    """The array store's ``cache`` argument for a loader's ``cache`` option.

    A folder keeps the store there; ``True``/``"memory"`` keeps it in memory; anything
    else (``"auto"``, ``None``, ``False``) keeps it in memory when it fits, else in an
    unlinked temporary file (the decoded images are always kept: that is the loader).
    """
    if cache is True or cache == "memory":
        return ""
    if cache in (None, False, "auto"):
        return None
    return os.fspath(cache)


def check_labelled_files(
    paths: Sequence[str],
    labels: Sequence[int],
    *,
    decode: bool = True,
    image_size: Sequence[int] | None = None,
    native_decode: bool = True,
) -> tuple[list[CheckedImage], list[int], list[tuple[str, str]]]:
    """Check files and drop the ones that cannot be decoded.

    Args:
        paths: Files.
        labels: Their labels.
        decode: Decode them too (see :func:`check_images`).
        image_size: Target size, for the pictures kept in memory (see :func:`check_images`).
        native_decode: Decode JPEG, PNG and GIF files with TensorFlow (see
            :func:`check_images`).

    Returns:
        ``(images, labels, skipped)`` for the files that decode, and ``(path, reason)``
        for the others.
    """
    checked, skipped = check_images(
        list(paths), decode=decode, image_size=image_size, native_decode=native_decode
    )
    keep = [i for i, c in enumerate(checked) if c is not None]
    return [checked[i] for i in keep], [int(labels[i]) for i in keep], skipped


def load_checked_files(
    paths: Sequence[str],
    labels: Sequence[int],
    *,
    loader: str,
    image_size: Sequence[int],
    name: str,
    options: dict[str, Any],
) -> tuple[list[CheckedImage], list[int], list[tuple[str, str]], Any]:
    """Check files for the ``loader``; decode them into a store where the loader keeps one.

    The array loader decodes every file with Pillow into its store. The tf.data loader
    whose cache is in memory (``cache="auto"`` when the images fit, ``True``,
    ``"memory"``) decodes every file once with the pipeline's own decode, and that
    decode is both the check and the cache
    (:func:`foodvision.data.pipeline.decode_files_to_tensor`); with a
    cache folder or no cache it checks the files and its epochs decode them.

    Returns:
        ``(images, labels, skipped, decoded)``: ``decoded`` is the
        :class:`~foodvision.data.array_store.DecodedImages` of the files that decoded,
        or ``None`` when the epochs decode the files themselves.
    """
    from foodvision.data.pipeline import resolve_cache, validate_image_size

    arrays = loader == "arrays"
    image_size = validate_image_size(image_size)
    cache = resolve_cache(options.get("cache", "auto"), len(paths), image_size)
    in_memory = not arrays and cache == ""
    images, labels, skipped = check_labelled_files(
        paths, labels, decode=not arrays, image_size=image_size, native_decode=not in_memory
    )
    if in_memory:
        decoded = _decode_with_the_pipeline(images, image_size, name, options)
    elif not arrays:
        return images, labels, skipped, None
    else:
        decoded = _decode_with_pillow(images, image_size, name, options)
    keep = [i for i, image in enumerate(images) if image.path in decoded.row_of]
    images, labels = [images[i] for i in keep], [labels[i] for i in keep]
    return images, labels, skipped + decoded.skipped, decoded


def _decode_with_the_pipeline(
    images: list[CheckedImage], image_size: tuple[int, int], name: str, options: dict[str, Any]
) -> Any:
    """The tf.data loader's in-memory store: one decode per file, failures with reasons."""
    from foodvision.data.array_store import DecodedImages
    from foodvision.data.checks import native_decode_error
    from foodvision.data.pipeline import decode_files_to_tensor

    decode_options = {
        key: options[key]
        for key in ("resize", "interpolation", "antialias", "jpeg_downscale")
        if key in options
    }
    tensor, failed = decode_files_to_tensor(images, image_size, name=name, **decode_options)
    bad = set(failed)
    kept = [image for i, image in enumerate(images) if i not in bad]
    return DecodedImages(
        tensor,
        {image.path: row for row, image in enumerate(kept)},
        [(images[i].path, native_decode_error(images[i])) for i in failed],
        batches="tf",
    )


def _decode_with_pillow(
    images: list[CheckedImage], image_size: tuple[int, int], name: str, options: dict[str, Any]
) -> Any:
    """The array loader's store (:func:`foodvision.data.array_store.decode_images`)."""
    from foodvision.data.array_store import decode_images

    unknown = sorted(set(options) - set(_ARRAY_OPTIONS))
    if unknown:
        raise ValueError(
            f"{', '.join(unknown)} belong to the tf.data pipeline (loader='tf'); the array "
            f"loader takes {', '.join(_ARRAY_OPTIONS)}"
        )
    return decode_images(
        images,
        image_size,
        resize=options.get("resize", "stretch"),
        cache=array_cache(options.get("cache", "auto")),
        name=name,
    )


def carve_split(
    images: list[CheckedImage], labels: list[int], fraction: float, seed: int
) -> tuple[tuple[list[CheckedImage], list[int]], tuple[list[CheckedImage], list[int]]]:
    """Split off a stratified, seeded ``fraction`` of the items: ``(part, rest)``."""
    part, rest = stratified_split(labels, [fraction], seed)
    return (
        ([images[i] for i in part], [labels[i] for i in part]),
        ([images[i] for i in rest], [labels[i] for i in rest]),
    )


def build_image_data(
    splits: dict[str, tuple[list[CheckedImage], list[int]]],
    class_names: Sequence[str],
    *,
    skipped: list[tuple[str, str]],
    total_files: int,
    source: str,
    image_size: Sequence[int],
    batch_size: int,
    seed: int,
    decoded: Sequence[Any] = (),
    **pipeline_options: Any,
) -> ImageData:
    """Turn checked, split file lists into an :class:`ImageData`.

    Args:
        splits: ``{"train": (images, labels), "val": ..., "test": ...}``; a missing or
            empty split becomes ``None``.
        class_names: Class names, index = label.
        skipped: Files left out, with reasons (summarised in one warning).
        total_files: Number of image files found, for the warning.
        source: Description of the origin, for reports.
        image_size: ``(height, width)``.
        batch_size: Images per batch.
        seed: Shuffle seed of the training split.
        decoded: The stores of :func:`load_checked_files`: the splits are then batches
            of their rows (:class:`~foodvision.data.array_split.ArraySplit` for the
            array loader, a ``tf.data.Dataset`` for the tf.data loader).
        **pipeline_options: Passed to :func:`make_file_dataset` (cache, resize, ...).

    Raises:
        ValueError: If the training split is empty or a class has no training image.

    """
    from foodvision.data.pipeline import validate_image_size

    image_size = validate_image_size(image_size)
    warn_skipped(skipped, total_files)
    train_labels = splits.get("train", ([], []))[1]
    missing = [name for i, name in enumerate(class_names) if i not in set(train_labels)]
    if missing:
        raise ValueError(
            f"no decodable training images for class(es) {', '.join(missing)} in {source}; "
            "add images or leave these classes out"
        )
    datasets: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    files: dict[str, list[str]] = {}
    for name in ("train", "val", "test"):
        images, labels = splits.get(name, ([], []))
        check_class_indices(labels, len(class_names), name)
        per_class = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(class_names))
        counts[name] = {c: int(n) for c, n in zip(class_names, per_class)} if images else {}
        files[name] = [i.path for i in images]
        if not images:
            datasets[name] = None
        elif decoded:
            datasets[name] = _array_split(
                images,
                labels,
                decoded,
                batch_size,
                name == "train",
                seed,
                pipeline_options.get("augment"),
            )
        else:
            from foodvision.data.pipeline import make_file_dataset

            datasets[name] = make_file_dataset(
                images,
                labels,
                image_size=image_size,
                batch_size=batch_size,
                shuffle=name == "train",
                seed=seed,
                name=name,
                **pipeline_options,
            )
    return ImageData(
        train=datasets["train"],
        val=datasets["val"],
        test=datasets["test"],
        class_names=tuple(class_names),
        counts=counts,
        skipped=skipped,
        image_size=image_size,
        batch_size=batch_size,
        files=files,
        source=source,
        labels_checked=True,
        resize=pipeline_options.get("resize", "stretch"),
    )


def _array_split(
    images: list[CheckedImage],
    labels: list[int],
    decoded: Sequence[Any],
    batch_size: int,
    shuffle: bool,
    seed: int,
    augment: Any = None,
) -> Any:
    """The split's rows in the store that decoded its files (one store per split).

    A store of the array loader gives an :class:`ArraySplit`; one of the tf.data
    loader gives a ``tf.data.Dataset`` of those rows (:func:`make_array_dataset`).
    """
    from foodvision.data.array_split import ArraySplit

    store = next(d for d in decoded if images[0].path in d.row_of)
    rows = [store.row_of[image.path] for image in images]
    if store.batches == "tf":
        from foodvision.base.tf_runtime import tensorflow
        from foodvision.data.pipeline import make_array_dataset

        return make_array_dataset(
            tensorflow().gather(store.images, rows),
            np.asarray(labels, np.int32),
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            augment=augment,
        )
    return ArraySplit(
        store.images,
        np.asarray(labels, np.int32),
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        rows=rows,
    )


def check_class_indices(labels: Any, num_classes: int, split: str = "data") -> None:
    """Raise a clear ``ValueError`` unless every label is an integer in ``range(num_classes)``.

    Example:
        >>> check_class_indices([0, 2, 1], 3)
        >>> check_class_indices([0, 3], 3, "train")
        Traceback (most recent call last):
        ...
        ValueError: train: label 3 is not a class index in 0..2

    """
    array = np.asarray(labels)
    if array.size == 0:
        return
    if not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{split}: labels must be integer class indices, got {array.dtype}")
    bad = array[(array < 0) | (array >= num_classes)]
    if bad.size:
        raise ValueError(
            f"{split}: label {int(bad[0])} is not a class index in 0..{num_classes - 1}"
        )


def require_directory(path: str | os.PathLike, what: str) -> str:
    """Return ``path`` as a string or raise ``FileNotFoundError`` naming ``what``."""
    path = os.fspath(path)
    if not os.path.isdir(path):
        hint = "it is a file, not a folder" if os.path.exists(path) else "it does not exist"
        raise FileNotFoundError(f"{what} {path!r} not found: {hint}")
    return path
