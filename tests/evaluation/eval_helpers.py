"""Shared helpers of the evaluation tests: a tiny CNN and an HTML image/table parser."""

import base64
from html.parser import HTMLParser
from pathlib import Path

import keras
import numpy as np

LONG_NAMES = ("baby_back_ribs", "chicken_quesadilla", "pizza", "eggs_benedict")


def tiny_cnn(num_classes=4, size=16, seed=0):
    """A small CNN for raw 0..255 images, with deterministic weights."""
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


def tiny_images(n=40, size=16, num_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size, 3)).astype("uint8")
    labels = (np.arange(n) % num_classes).astype("int32")
    return images, labels


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


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def parse_page(path):
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
