"""The tests' one harness: tiny images, image files, datasets and models, and page checks.

Importable as ``harness`` from every test (``pythonpath = ["tests"]``). Everything here
is small enough to build in milliseconds and deterministic for a given seed.
"""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
from PIL import Image

# ----------------------------------------------------------------------------- images


def write_image(path: Path, array: np.ndarray, mode: str | None = None, **save_kwargs) -> Path:
    """Write ``array`` (HxWx3 uint8) to ``path`` in the format given by its suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(array)
    if mode is not None:
        image = image.convert(mode)
    image.save(path, **save_kwargs)
    return path


def jpeg_bytes(size=(32, 40), seed=0, mode="RGB") -> bytes:
    """A random-noise JPEG file's bytes."""
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(array).convert(mode).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


FOOD101_CLASSES = ["apple_pie", "bibimbap", "churros"]


def make_food101(root: Path, train=8, test=4, classes=FOOD101_CLASSES) -> Path:
    """A Food-101 layout of random JPEGs: ``meta/{classes,train,test}.txt`` and ``images/``."""
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "classes.txt").write_text("\n".join(classes) + "\n")
    lines = {"train": [], "test": []}
    for c_index, name in enumerate(classes):
        (root / "images" / name).mkdir(parents=True)
        for i in range(train + test):
            (root / "images" / name / f"{1000 + i}.jpg").write_bytes(
                jpeg_bytes(size=(20, 24), seed=c_index * 100 + i)
            )
            lines["train" if i < train else "test"].append(f"{name}/{1000 + i}")
    for split, entries in lines.items():
        (root / "meta" / f"{split}.txt").write_text("\n".join(entries) + "\n")
    return root


def write_bad_files(folder: Path) -> dict[str, str]:
    """Write one bad file of each kind; returns {file name: expected reason prefix}."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zero.jpg").write_bytes(b"")
    full = jpeg_bytes(size=(64, 64))
    (folder / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (folder / "random.jpg").write_bytes(np.random.default_rng(1).bytes(3000))
    (folder / "text.png").write_text("this is not an image\n" * 20)
    # 1-bit image above Pillow's decompression-bomb threshold: tiny on disk.
    bomb = Image.new("1", (12000, 8000))
    bomb.save(folder / "bomb.png", optimize=False)
    return {
        "zero.jpg": "empty file",
        "truncated.jpg": "corrupt or truncated JPEG",
        "random.jpg": "not an image",
        "text.png": "not an image",
        "bomb.png": "image too large",
    }


def tiny_images(n=40, size=16, num_classes=4, seed=0):
    """``n`` random uint8 images and cyclic labels ``0, 1, ..., num_classes - 1, 0, ...``."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size, 3)).astype("uint8")
    labels = (np.arange(n) % num_classes).astype("int32")
    return images, labels


def raw_images(count: int, shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """``count`` uint8 RGB images in 0..255: a smooth gradient per image plus noise."""
    rng = np.random.default_rng(seed)
    height, width, _ = shape
    yy, xx = np.mgrid[0:height, 0:width] / max(height, width)
    images = np.empty((count, *shape), dtype=np.float64)
    for i in range(count):
        a, b, c = rng.uniform(-1, 1, 3)
        base = 128 + 100 * np.stack([a * xx, b * yy, c * (xx - yy)], axis=-1)
        images[i] = base + rng.normal(0, 20, shape)
    return np.clip(images, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- datasets


def tiny_image_data(num_classes=3, per_class=16, size=8, batch_size=8, seed=0):
    """An ImageData of small arrays whose class is visible in the brightness."""
    from foodvision.data import ImageData, make_array_dataset

    rng = np.random.default_rng(seed)
    names = tuple(f"class_{i}" for i in range(num_classes))

    def split(n):
        labels = np.repeat(np.arange(num_classes), n).astype(np.int32)
        base = (labels * (200 // max(num_classes - 1, 1)))[:, None, None, None]
        images = np.clip(base + rng.normal(0, 20, (len(labels), size, size, 3)), 0, 255)
        return images.astype(np.uint8), labels

    (xt, yt), (xv, yv) = split(per_class), split(max(per_class // 4, 1))
    counts = {
        "train": dict.fromkeys(names, per_class),
        "val": dict.fromkeys(names, max(per_class // 4, 1)),
        "test": {},
    }
    return ImageData(
        train=make_array_dataset(xt, yt, batch_size=batch_size, shuffle=True, seed=seed),
        val=make_array_dataset(xv, yv, batch_size=batch_size),
        test=None,
        class_names=names,
        counts=counts,
        image_size=(size, size),
        batch_size=batch_size,
        source="tiny test arrays",
    )


# ----------------------------------------------------------------------------- models

NUM_CLASSES = 7
"""Classes of the registered models the model tests build (an unusual number on purpose)."""


def tiny_model(num_classes=3, size=8, dropout=0.0, seed=0):
    """A very small trainable CNN taking raw 0..255 images (Keras's seeded initialisers)."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="tiny_cnn")


def tiny_random_cnn(num_classes=4, size=16, seed=0):
    """A small CNN with two named conv layers (``conv_1``, ``conv_2``) and wide random
    weights, so that its predictions are confident and varied (mistakes to report)."""
    import keras

    inputs = keras.Input((size, size, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv_1")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="conv_2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="tiny_cnn")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.8, w.shape).astype("float32") for w in model.weights])
    return model


def save_lambda_model(path: Path) -> Path:
    """Save a model holding a Python ``Lambda`` layer (which safe mode must refuse)."""
    import keras

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x)).save(path)
    return path


def tiny_shape(name: str) -> tuple[int, int, int]:
    """The smallest square input a registered model accepts (at least 16x16), to keep
    tests fast."""
    import foodvision as fv

    size = max(fv.get_model_spec(name).min_input_size, 16)
    return (size, size, 3)


def tiny_overrides(name: str) -> dict:
    """Options for an offline build of a registered model from scratch.

    Transfer models get ``weights=None`` and batch-norm layers that train (batch
    statistics) in their trainable top block: a random backbone whose batch norms all
    keep their initial statistics can be degenerate (in MobileNetV3 the activations
    reaching the top block are ~1e-10 and some kernels get exactly zero gradients).
    The default frozen batch norms are tested in test_transfer.py.
    """
    import foodvision as fv

    if fv.get_model_spec(name).family != "transfer":
        return {}
    return {"weights": None, "train_batchnorm": True}


# ----------------------------------------------------------------------------- pages

LONG_NAMES = ("baby_back_ribs", "chicken_quesadilla", "pizza", "eggs_benedict")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class ImageAndTableParser(HTMLParser):
    """Collects <img> sources, <a> links and the number of <table> elements."""

    def __init__(self):
        super().__init__()
        self.images, self.links, self.tables = [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        elif tag == "a":
            self.links.append(attrs.get("href", ""))
        elif tag == "table":
            self.tables += 1


def parse_page(path):
    """The images, links and table count of an HTML page."""
    parser = ImageAndTableParser()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser


def check_images_resolve(page):
    """Every <img> is a decodable PNG data URI or a relative file that exists; returns count."""
    page = Path(page)
    parser = parse_page(page)
    assert parser.images, "the page has no images"
    for src in parser.images:
        if src.startswith("data:"):
            header, _, payload = src.partition(",")
            assert header == "data:image/png;base64", header
            data = base64.b64decode(payload, validate=True)
        else:
            assert not Path(src).is_absolute() and "://" not in src, src
            data = (page.parent / src).read_bytes()
        assert data.startswith(PNG_MAGIC)
    return len(parser.images)
