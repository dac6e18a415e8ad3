"""The one type every data source returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ImageData:
    """Train / validation / test splits of a labelled image dataset.

    Every split is a batched ``tf.data.Dataset`` (with ``loader="arrays"``, a
    ``keras.utils.PyDataset`` of NumPy arrays) of ``(images, labels)`` with images
    ``uint8`` of shape ``(batch, height, width, 3)`` in 0..255 and labels ``int32`` class
    indices into ``class_names``. A split that the source does not provide is ``None``.

    Attributes:
        train: Training batches, reshuffled every epoch (seeded).
        val: Validation batches in a fixed order, or ``None``.
        test: Test batches in a fixed order, or ``None``.
        class_names: Class names; label ``i`` is ``class_names[i]``.
        counts: Images per split and class, ``{"train": {"pizza": 300, ...}, ...}``.
        skipped: ``(path, reason)`` for every file that was left out because it could not
            be read or decoded.
        image_size: ``(height, width)`` of every image.
        batch_size: Images per batch.
        files: Paths per split in dataset order (empty for generated data); for ``val``
            and ``test`` the i-th path belongs to the i-th image.
        source: Where the data came from, for reports.
        labels_checked: Whether every label of the datasets is known to be a class
            index in ``range(num_classes)`` (the library's loaders check them when they
            build the data). :func:`foodvision.train` checks the labels of every batch
            only when this is false. ``dataclasses.replace`` keeps it: set it to
            ``False`` when you swap in datasets of your own.
        resize: How files were brought to ``image_size`` (``"stretch"``, ``"crop"`` or
            ``"pad"``); a saved model records it, so new photos are resized alike.

    Example:
        >>> data = fv.load_synthetic(image_size=(64, 64))  # doctest: +SKIP
        >>> images, labels = next(iter(data.train))  # doctest: +SKIP
        >>> images.shape  # doctest: +SKIP
        TensorShape([32, 64, 64, 3])

    """

    train: Any
    val: Any
    test: Any
    class_names: tuple[str, ...]
    counts: dict[str, dict[str, int]]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    image_size: tuple[int, int] = (128, 128)
    batch_size: int = 32
    files: dict[str, list[str]] = field(default_factory=dict)
    source: str = ""
    labels_checked: bool = False
    resize: str = "stretch"

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    def num_images(self, split: str) -> int:
        """Images in ``split`` (0 for a split the data does not have).

        Example:
            >>> fv.load_synthetic(train_per_class=10).num_images("train")  # doctest: +SKIP
            50

        """
        return sum(self.counts.get(split, {}).values())

    def split(self, name: str) -> Any:
        """Return the dataset of split ``name`` (``"train"``, ``"val"`` or ``"test"``).

        Raises:
            ValueError: If ``name`` is not a split name or the split is empty.

        """
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        dataset = getattr(self, name)
        if dataset is None:
            raise ValueError(f"this dataset has no {name!r} split ({self.source})")
        return dataset

    def summary(self) -> str:
        """Describe classes, counts per split and skipped files as a readable table.

        Example:
            >>> print(data.summary())  # doctest: +SKIP

        """
        splits = [s for s in SPLITS if self.counts.get(s)]
        width = max([len("class")] + [len(name) for name in self.class_names])
        lines = [
            f"source: {self.source}",
            f"classes: {self.num_classes}   image size: {self.image_size[0]}x"
            f"{self.image_size[1]}   batch size: {self.batch_size}",
            "",
            "  ".join([f"{'class':<{width}}"] + [f"{s:>6}" for s in splits]),
        ]
        for name in self.class_names:
            cells = [f"{self.counts[s].get(name, 0):>6}" for s in splits]
            lines.append("  ".join([f"{name:<{width}}"] + cells))
        totals = [f"{sum(self.counts[s].values()):>6}" for s in splits]
        lines.append("  ".join([f"{'total':<{width}}"] + totals))
        lines.append("")
        lines.append(f"skipped: {len(self.skipped)} file(s)")
        lines.extend(f"  {path}: {reason}" for path, reason in self.skipped)
        return "\n".join(lines)
