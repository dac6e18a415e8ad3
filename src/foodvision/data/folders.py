"""Class-per-folder datasets: ``root/<class name>/<image files>``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from foodvision.base.checks import check_fraction, check_int, unknown_name_message
from foodvision.data.checks import IMAGE_EXTENSIONS, list_image_files
from foodvision.data.image_data import ImageData
from foodvision.data.sources import (
    build_image_data,
    carve_split,
    load_checked_files,
    require_directory,
    resolve_loader,
)


def list_class_folders(root: str) -> list[str]:
    """Sorted names of the visible sub-folders of ``root``."""
    return sorted(
        entry.name
        for entry in os.scandir(root)
        if entry.is_dir() and not entry.name.startswith(".")
    )


def select_classes(
    available: Sequence[str], classes: Sequence[str] | None, where: str
) -> list[str]:
    """Validate a requested class subset against ``available`` (keeps the request order).

    Raises:
        ValueError: For an unknown or repeated class, or fewer than 2 classes.

    """
    chosen = list(available) if classes is None else list(classes)
    for name in chosen:
        if name not in available:
            message = unknown_name_message("class", name, list(available))
            raise ValueError(f"{message} (in {where})")
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"classes must not repeat, got {chosen}")
    if len(chosen) < 2:
        raise ValueError(
            f"need at least 2 classes to classify, found {len(chosen)} ({chosen}) in {where}"
        )
    return chosen


def load_image_folder(
    path: str | os.PathLike,
    *,
    classes: Sequence[str] | None = None,
    image_size: Sequence[int] = (128, 128),
    batch_size: int = 32,
    validation_split: float = 0.2,
    test_split: float = 0.0,
    seed: int = 0,
    loader: str = "auto",
    **pipeline_options: Any,
) -> ImageData:
    """Load a class-per-folder dataset (``path/<class>/<images>``).

    Images are found recursively inside each class folder; hidden files and folders and
    files without an image suffix are ignored. Files that cannot be decoded are skipped,
    listed in ``ImageData.skipped`` and summarised in one warning. The validation and
    test splits are stratified per class and seeded.

    Args:
        path: Root folder with one sub-folder per class.
        classes: Class folders to use, in label order; default all, sorted by name.
        image_size: ``(height, width)`` of the output images.
        batch_size: Images per batch.
        validation_split: Fraction of each class for validation.
        test_split: Fraction of each class for testing (``0`` gives ``test=None``).
        seed: Seed of the splits and of the training shuffle.
        loader: ``"tf"`` (tf.data pipeline), ``"arrays"`` (decoded once with Pillow
            into a uint8 array; no TensorFlow) or ``"auto"`` (``"tf"`` when TensorFlow
            is installed).
        **pipeline_options: ``cache``, ``resize``, ``interpolation``, ``antialias``,
            ``jpeg_downscale``, ``augment`` (see :func:`make_file_dataset`); the
            array loader takes ``cache`` (a folder keeps its store) and ``resize``.

    Returns:
        An :class:`ImageData`.

    Raises:
        FileNotFoundError: If ``path`` is not a folder.
        ValueError: For fewer than 2 classes, an unknown class, an empty class folder
            or bad split fractions.

    Example:
        >>> data = fv.load_image_folder("photos", image_size=(128, 128),
        ...                             validation_split=0.2, test_split=0.2)  # doctest: +SKIP

    """
    root = require_directory(path, "image folder")
    validation_split = check_fraction("validation_split", validation_split)
    check_int("batch_size", batch_size, 1)
    test_split = check_fraction("test_split", test_split)
    if validation_split + test_split >= 1:
        raise ValueError(
            f"validation_split + test_split must be below 1, got {validation_split + test_split}"
        )
    class_names = select_classes(list_class_folders(root), classes, root)
    paths: list[str] = []
    labels: list[int] = []
    for label, name in enumerate(class_names):
        found = list_image_files(os.path.join(root, name))
        if not found:
            raise ValueError(
                f"class folder {os.path.join(root, name)!r} has no image files "
                f"(looked for {', '.join(IMAGE_EXTENSIONS)}); add images or remove it"
            )
        paths.extend(found)
        labels.extend([label] * len(found))
    images, labels, skipped, decoded = load_checked_files(
        paths,
        labels,
        loader=resolve_loader(loader),
        image_size=image_size,
        name="images",
        options=pipeline_options,
    )
    test, rest = carve_split(images, labels, test_split, seed)
    # The validation fraction is of the whole class, so rescale it to what is left.
    val, train = carve_split(*rest, validation_split / (1 - test_split), seed + 1)
    return build_image_data(
        {"train": train, "val": val, "test": test},
        class_names,
        skipped=skipped,
        total_files=len(paths),
        source=f"image folder {root}",
        image_size=image_size,
        batch_size=batch_size,
        seed=seed,
        decoded=[decoded] if decoded is not None else [],
        **pipeline_options,
    )
