"""The built-in, generated 5-class dataset: the offline default of the CLI and examples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from foodvision.base.checks import check_int
from foodvision.data.image_data import ImageData
from foodvision.data.pipeline import make_array_dataset, validate_image_size
from foodvision.data.sources import resolve_loader
from foodvision.data.synthetic_images import SYNTHETIC_CLASS_NAMES, generate_synthetic_images


def _split_seed(seed: int, split_index: int) -> int:
    return int(np.random.SeedSequence([seed, split_index]).generate_state(1)[0])


def load_synthetic(
    image_size: Sequence[int] = (96, 96),
    *,
    train_per_class: int = 300,
    val_per_class: int = 60,
    test_per_class: int = 100,
    batch_size: int = 32,
    seed: int = 0,
    augment: Any = None,
    loader: str = "auto",
) -> ImageData:
    """Generate the built-in "food plates" dataset (pizza, donut, sushi, salad, fries).

    Images are drawn procedurally with random position, scale, rotation, colour,
    lighting, background and clutter; nothing is downloaded or written to disk. The
    same arguments always give the same images; the three splits never share an image.

    Args:
        image_size: ``(height, width)``, at least 32x32.
        train_per_class: Training images per class.
        val_per_class: Validation images per class (``0`` gives ``val=None``).
        test_per_class: Test images per class (``0`` gives ``test=None``).
        batch_size: Images per batch.
        seed: Seed of the images and of the training shuffle.
        augment: Optional function mapped on every training batch (tf.data loader).
        loader: ``"tf"`` (tf.data batches), ``"arrays"`` (NumPy batches, no
            TensorFlow) or ``"auto"`` (``"tf"`` when TensorFlow is installed).

    Returns:
        An :class:`ImageData`.

    Example:
        >>> data = fv.load_synthetic(image_size=(64, 64), train_per_class=50)  # doctest: +SKIP
        >>> data.counts["train"]["pizza"]  # doctest: +SKIP
        50

    """
    image_size = validate_image_size(image_size)
    loader = resolve_loader(loader)
    if loader == "arrays" and augment is not None:
        raise ValueError("augment maps a function over tf.data batches: use loader='tf'")
    sizes = {"train": train_per_class, "val": val_per_class, "test": test_per_class}
    for name, size in sizes.items():
        check_int(f"{name}_per_class", size, 1 if name == "train" else 0)
    datasets: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    for index, (name, size) in enumerate(sizes.items()):
        if size == 0:
            datasets[name], counts[name] = None, {}
            continue
        images, labels = generate_synthetic_images(size, image_size, _split_seed(seed, index))
        counts[name] = {c: int(n) for c, n in zip(SYNTHETIC_CLASS_NAMES, np.bincount(labels))}
        if loader == "arrays":
            from foodvision.data.array_split import ArraySplit

            datasets[name] = ArraySplit(
                images, labels, batch_size=batch_size, shuffle=name == "train", seed=seed
            )
            continue
        datasets[name] = make_array_dataset(
            images,
            labels,
            batch_size=batch_size,
            shuffle=name == "train",
            seed=seed,
            augment=augment if name == "train" else None,
        )
    return ImageData(
        train=datasets["train"],
        val=datasets["val"],
        test=datasets["test"],
        class_names=tuple(SYNTHETIC_CLASS_NAMES),
        counts=counts,
        skipped=[],
        image_size=image_size,
        batch_size=batch_size,
        files={},
        source=f"synthetic food plates (seed {seed})",
        labels_checked=True,  # generated as class indices
    )
