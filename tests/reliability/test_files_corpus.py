"""Bad and unusual image files, loaded through the public loaders.

Every bad file must be skipped, listed in ``ImageData.skipped`` with a reason a user can
act on and counted in the one warning; every valid but unusual file must load as RGB with
the right pixels. One class-per-folder dataset holds the whole corpus, so it is checked
(decoded once) a single time; Food-101 layout mistakes get their own tiny folders.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import foodvision as fv

SIZE = (12, 10)  # (height, width) of every corpus image and of the loaded images


def rgb(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*SIZE, 3), dtype=np.uint8)


def encoded(array: np.ndarray, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


# ---- bad files: (file name, bytes writer, words the reason must contain) ------------------


def write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def write_truncated(fmt: str) -> Callable[[Path], None]:
    big = np.random.default_rng(7).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encoded(big, fmt)
    return write_bytes(data[: len(data) // 2])


def write_bomb(path: Path) -> None:
    # 1-bit, 96 Mpx: above Pillow's decompression-bomb limit, a few kB on disk.
    Image.new("1", (12000, 8000)).save(path)


def write_symlink_loop(path: Path) -> None:
    path.symlink_to(path)


def write_dangling_symlink(path: Path) -> None:
    path.symlink_to(path.with_name("gone.jpg"))


BAD_FILES = [
    ("zero.jpg", write_bytes(b""), "empty file (0 bytes)"),
    ("truncated.jpg", write_truncated("JPEG"), "corrupt or truncated JPEG data"),
    ("truncated.png", write_truncated("PNG"), "corrupt or truncated PNG data"),
    ("random.jpg", write_bytes(np.random.default_rng(1).bytes(3000)), "not an image"),
    ("text.png", write_bytes(b"this is not an image\n" * 20), "not an image"),
    ("bomb.png", write_bomb, "image too large: exceeds Pillow's decompression-bomb limit"),
    ("loop.jpg", write_symlink_loop, "cannot read file: Too many levels of symbolic links"),
    ("dangling.jpg", write_dangling_symlink, "cannot read file: No such file or directory"),
    ("denied.png", write_bytes(encoded(rgb(99), "PNG")), "cannot read file: permission denied"),
]
"""``denied.png`` is readable on disk; reading it is made to fail with EACCES below, the way
an unreadable file fails for a user who is not root."""

# ---- valid but unusual files: (file name, writer returning the expected RGB) ---------------


def write_16_bit_png(path: Path) -> np.ndarray:
    values = (np.arange(SIZE[0] * SIZE[1]).reshape(SIZE) * 547).astype(np.uint16)
    Image.fromarray(values).save(path)  # mode I;16
    gray = np.rint(values / 257.0).astype(np.uint8)  # 65535 -> 255, scaled, not clipped
    return np.repeat(gray[..., None], 3, axis=-1)


def write_cmyk_jpeg(path: Path) -> np.ndarray:
    colour = np.array([200, 40, 90], np.uint8)  # flat, so JPEG loses almost nothing
    array = np.broadcast_to(colour, (*SIZE, 3)).copy()
    Image.fromarray(array).convert("CMYK").save(path, quality=95)
    return array


PALETTE = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [30, 60, 250]], np.uint8)


def palette_image(indices: np.ndarray, palette: np.ndarray) -> Image.Image:
    image = Image.new("P", (indices.shape[1], indices.shape[0]))
    image.putdata(indices.astype(np.uint8).ravel().tolist())
    image.putpalette(palette.ravel().tolist())
    return image


def write_transparent_palette_png(path: Path) -> np.ndarray:
    indices = np.arange(SIZE[0] * SIZE[1]).reshape(SIZE) % 4
    palette_image(indices, PALETTE).save(path, transparency=0)  # index 0 is transparent
    return PALETTE[indices]  # RGB keeps the colours; alpha is dropped


def write_animated_gif(path: Path) -> np.ndarray:
    indices = (np.arange(SIZE[0] * SIZE[1]).reshape(SIZE) // 7) % 4
    first = palette_image(indices, PALETTE)
    second = palette_image(3 - indices, PALETTE[::-1].copy())
    first.save(path, save_all=True, append_images=[second], duration=50, loop=0)
    return PALETTE[indices]  # the first frame only


def write_rgba_png(path: Path) -> np.ndarray:
    array = rgb(5)
    alpha = np.full((*SIZE, 1), 128, np.uint8)
    Image.fromarray(np.concatenate([array, alpha], axis=-1)).save(path)  # RGBA
    return array


def write_plain_png(seed: int) -> Callable[[Path], np.ndarray]:
    def write(path: Path) -> np.ndarray:
        array = rgb(seed)
        Image.fromarray(array).save(path)
        return array

    return write


UNUSUAL_FILES = [
    ("deep_16_bit.png", write_16_bit_png, 1),
    ("cmyk.jpg", write_cmyk_jpeg, 6),
    ("palette_transparent.png", write_transparent_palette_png, 0),
    ("animated.gif", write_animated_gif, 0),
    ("rgba.png", write_rgba_png, 0),
    ("crème brûlée 寿司 #1.png", write_plain_png(11), 0),
    ("sub folder/ünïcödé name.png", write_plain_png(12), 0),
]
"""(file name, writer returning the expected RGB pixels, largest allowed difference)."""

GOOD_PER_CLASS = 3


@dataclass
class Corpus:
    root: Path
    data: fv.ImageData
    warning: str
    expected: dict[str, np.ndarray]
    decoded: list[np.ndarray]
    unreadable_is_readable: bool


def reads_despite_chmod_000(path: Path) -> bool:
    """Whether this process can read a chmod-000 file (root, or CAP_DAC_OVERRIDE)."""
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except PermissionError:
        return False
    return True


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    for index, name in enumerate(("a", "b")):
        (root / name).mkdir()
        for i in range(GOOD_PER_CLASS):
            write_plain_png(100 + 10 * index + i)(root / name / f"good_{i}.png")
    for name, write, _ in BAD_FILES:
        write(root / "a" / name)
    expected = {}
    for name, write, _ in UNUSUAL_FILES:
        path = root / "b" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        expected[name] = write(path)
    unreadable = root / "a" / "unreadable.png"
    unreadable.write_bytes(encoded(rgb(77), "PNG"))
    unreadable.chmod(0)
    (root / "b" / "notes.txt").write_text("not an image, and not an image suffix")
    (root / "b" / ".hidden.jpg").write_bytes(b"")

    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "denied.png":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        patch.setattr(Path, "read_bytes", read_bytes)
        data = fv.load_data(
            root, image_size=SIZE, batch_size=64, validation_split=0.0, test_split=0.0
        )
    skipped_warnings = [str(w.message) for w in caught if "skipped" in str(w.message)]
    assert len(skipped_warnings) == 1, [str(w.message) for w in caught]
    decoded = [image for images, _ in data.train.as_numpy_iterator() for image in images]
    return Corpus(
        root, data, skipped_warnings[0], expected, decoded, reads_despite_chmod_000(unreadable)
    )


def reasons_by_name(data: fv.ImageData) -> dict[str, str]:
    return {os.path.basename(path): reason for path, reason in data.skipped}


@pytest.mark.parametrize(("name", "reason"), [(n, r) for n, _, r in BAD_FILES], ids=str)
def test_bad_file_is_skipped_with_its_reason(corpus, name, reason):
    reasons = reasons_by_name(corpus.data)
    assert name in reasons, f"{name} was not reported: {reasons}"
    assert reasons[name].startswith(reason), reasons[name]
    assert "[Op:" not in reasons[name]  # no TensorFlow internals in what users read
    assert not any(path.endswith(name) for path in corpus.data.files["train"])


def test_bad_files_are_counted_in_one_warning_and_the_epoch_runs(corpus):
    data = corpus.data
    bad = len(BAD_FILES) + (0 if corpus.unreadable_is_readable else 1)
    found = 2 * GOOD_PER_CLASS + len(BAD_FILES) + len(UNUSUAL_FILES) + 1  # + unreadable.png
    assert len(data.skipped) == bad
    assert corpus.warning.startswith(f"skipped {bad} of {found} image files (")
    assert "see ImageData.skipped" in corpus.warning
    unreadable = 3 + (0 if corpus.unreadable_is_readable else 1)  # loop, dangling, denied
    assert re.search(rf"[(;] ?{unreadable} cannot read file;", corpus.warning), corpus.warning
    assert f"skipped: {bad} file(s)" in data.summary()
    kept = data.num_images("train")
    assert kept == found - bad and len(corpus.decoded) == kept  # a whole epoch, no failure
    assert data.counts["train"]["b"] == GOOD_PER_CLASS + len(UNUSUAL_FILES)
    assert not any(p.endswith(("notes.txt", ".hidden.jpg")) for p, _ in data.skipped)


def test_unreadable_file_follows_the_real_permissions(corpus):
    """chmod 000 blocks reading for normal users; root reads it anyway, so it loads."""
    reasons = reasons_by_name(corpus.data)
    if corpus.unreadable_is_readable:  # root or CAP_DAC_OVERRIDE: the file is just a PNG
        assert "unreadable.png" not in reasons
        assert any(p.endswith("unreadable.png") for p in corpus.data.files["train"])
        assert any(np.array_equal(image, rgb(77)) for image in corpus.decoded)
    else:
        assert reasons["unreadable.png"] == "cannot read file: permission denied"


@pytest.mark.parametrize(
    ("name", "tolerance"), [(n, t) for n, _, t in UNUSUAL_FILES], ids=lambda v: str(v)
)
def test_unusual_file_loads_as_rgb_with_the_right_pixels(corpus, name, tolerance):
    assert any(p.endswith(name) for p in corpus.data.files["train"]), name
    expected = corpus.expected[name].astype(int)
    assert expected.shape == (*SIZE, 3)
    # The image size equals the file size, so resizing is the identity; the split is
    # shuffled, so find the image by content. Random pixels make the match unambiguous.
    errors = [np.abs(image.astype(int) - expected).max() for image in corpus.decoded]
    assert corpus.decoded[0].shape == (*SIZE, 3) and corpus.decoded[0].dtype == np.uint8
    assert min(errors) <= tolerance, f"{name}: closest image differs by {min(errors)}"


# ---- Food-101 layout --------------------------------------------------------------------

CLASSES = ("apple_pie", "ramen")


def make_food101(
    root: Path, train: int = 4, test: int = 2, classes: tuple[str, ...] = CLASSES
) -> Path:
    """A tiny Food-101 folder: ``train`` + ``test`` JPEGs per class, listed in meta/."""
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "classes.txt").write_text("\n".join(classes) + "\n")
    lines: dict[str, list[str]] = {"train": [], "test": []}
    for c, name in enumerate(classes):
        (root / "images" / name).mkdir(parents=True)
        for i in range(train + test):
            array = np.full((16, 16, 3), 40 + 90 * c, np.uint8)
            (root / "images" / name / f"{100 + i}.jpg").write_bytes(encoded(array, "JPEG"))
            lines["train" if i < train else "test"].append(f"{name}/{100 + i}")
    for split, entries in lines.items():
        (root / "meta" / f"{split}.txt").write_text("\n".join(entries) + "\n")
    return root


def load(root: Path) -> fv.ImageData:
    return fv.load_food101(root, image_size=(16, 16), batch_size=8, validation_split=0.0)


def empty_train_list(root: Path) -> None:
    (root / "meta" / "train.txt").write_bytes(b"")


def train_list_names_missing_files(root: Path) -> None:
    with open(root / "meta" / "train.txt", "a") as handle:
        handle.write("ramen/999\nramen/998\n")


def missing_test_list(root: Path) -> None:
    (root / "meta" / "test.txt").unlink()


def empty_classes_list(root: Path) -> None:
    (root / "meta" / "classes.txt").write_text("\n\n")


def no_meta_folder(root: Path) -> None:
    for path in (root / "meta").iterdir():
        path.unlink()
    (root / "meta").rmdir()


def train_and_test_overlap(root: Path) -> None:
    with open(root / "meta" / "train.txt", "a") as handle:
        handle.write("ramen/105\n")


FOOD101_ERRORS = [
    ("0-byte train.txt", empty_train_list, ValueError, ["train.txt is empty", "<class>/<id>"]),
    (
        "train.txt lists missing files",
        train_list_names_missing_files,
        FileNotFoundError,
        ["meta/train.txt lists 2 image(s)", "ramen/999", "ramen/998", "remove those lines"],
    ),
    ("no test.txt", missing_test_list, FileNotFoundError, ["test.txt is missing"]),
    ("blank classes.txt", empty_classes_list, ValueError, ["classes.txt is empty"]),
    ("no meta/", no_meta_folder, FileNotFoundError, ["not a Food-101 folder", "meta/"]),
    (
        "image in train and test",
        train_and_test_overlap,
        ValueError,
        ["both meta/train.txt and meta/test.txt", "ramen/105", "remove them from one list"],
    ),
]


@pytest.mark.parametrize(
    ("breakage", "error", "words"),
    [case[1:] for case in FOOD101_ERRORS],
    ids=[case[0] for case in FOOD101_ERRORS],
)
def test_food101_layout_mistake_is_one_clear_error(tmp_path, breakage, error, words):
    root = make_food101(tmp_path / "food-101")
    breakage(root)
    with pytest.raises(error) as info:
        load(root)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    assert "\n" not in message


def test_food101_duplicate_entries_are_skipped_and_counted(tmp_path):
    root = make_food101(tmp_path / "food-101")
    with open(root / "meta" / "train.txt", "a") as handle:
        handle.write("apple_pie/100\napple_pie/100\nramen/101\n")
    with pytest.warns(UserWarning, match=r"skipped 3 of 12 image files \(3 duplicate entry"):
        data = load(root)
    assert data.skipped == [
        ("apple_pie/100", "duplicate entry in meta/train.txt"),
        ("apple_pie/100", "duplicate entry in meta/train.txt"),
        ("ramen/101", "duplicate entry in meta/train.txt"),
    ]
    assert data.counts["train"] == {"apple_pie": 4, "ramen": 4}  # each image once
    assert data.counts["test"] == {"apple_pie": 2, "ramen": 2}


def test_food101_bad_image_files_are_skipped_and_counted(tmp_path):
    root = make_food101(tmp_path / "food-101")
    (root / "images" / "ramen" / "101.jpg").write_bytes(b"")  # listed in train.txt
    (root / "images" / "apple_pie" / "104.jpg").write_text("not a jpeg")  # in test.txt
    with pytest.warns(UserWarning, match="skipped 2 of 12 image files"):
        data = load(root)
    reasons = reasons_by_name(data)
    assert reasons == {"101.jpg": "empty file (0 bytes)", "104.jpg": reasons["104.jpg"]}
    assert reasons["104.jpg"].startswith("not an image")
    assert data.counts["train"] == {"apple_pie": 4, "ramen": 3}
    assert data.counts["test"] == {"apple_pie": 1, "ramen": 2}


def test_food101_malformed_lines_are_reported(tmp_path):
    root = make_food101(tmp_path / "food-101", classes=(*CLASSES, "sushi"))
    with open(root / "meta" / "train.txt", "a") as handle:
        handle.write("apple_pie_100\nramenn/101\n")
    data = load(root)
    assert {entry for entry, _ in data.skipped} == {"apple_pie_100", "ramenn/101"}
    assert all(reason.startswith("malformed entry in meta/train.txt") for _, reason in data.skipped)
    # lines of classes that exist but were not chosen are not "skipped": they are not wanted
    subset = fv.load_food101(
        root, classes=["ramen", "sushi"], image_size=(16, 16), batch_size=8, validation_split=0.0
    )
    assert {entry for entry, _ in subset.skipped} == {"apple_pie_100", "ramenn/101"}
    assert list(subset.class_names) == ["ramen", "sushi"]
