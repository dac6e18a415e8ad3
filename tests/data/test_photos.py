"""Photos as phones store them: EXIF orientation, HEIC and AVIF, colour profiles, big files.

Every file below shows the same upright picture to a photo viewer, however it is stored;
every reader (both loaders, ``predict``, the report's galleries) must see that picture.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from icc_profiles import rgb_profile
from PIL import Image

import foodvision as fv
from foodvision.data import image_formats
from foodvision.data.array_split import numpy_batches
from foodvision.data.array_store import decode_file, resize_rgb
from foodvision.data.checks import check_images
from foodvision.data.image_formats import ORIENTATION_TAG, open_upright

QUADRANTS = np.array(
    [[[220, 30, 30], [30, 200, 30]], [[30, 30, 220], [230, 220, 40]]], np.uint8
)  # top-left red, top-right green, bottom-left blue, bottom-right yellow
UPRIGHT = np.repeat(np.repeat(QUADRANTS, 32, axis=0), 48, axis=1)  # 64 x 96, wider than tall
SIZE = (32, 48)  # loaded (height, width): the upright shape, halved

STORED = {
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, 1),  # the viewer turns it 90 degrees clockwise
    7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
    8: lambda a: np.rot90(a, -1),  # the viewer turns it 90 degrees anticlockwise
}
"""How a camera stores the upright picture for each orientation tag (written with NumPy,
independently of the code under test: a viewer applying the tag shows ``UPRIGHT``)."""


def save(path: Path, array: np.ndarray, orientation: int = 1, **kwargs) -> Path:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    Image.fromarray(np.ascontiguousarray(array)).save(path, exif=exif.tobytes(), **kwargs)
    return path


def assert_upright(image: np.ndarray, what: str) -> None:
    """Each quadrant's centre has its colour (lossy codecs allowed a little slack)."""
    height, width = image.shape[:2]
    for row in range(2):
        for column in range(2):
            y, x = (2 * row + 1) * height // 4, (2 * column + 1) * width // 4
            patch = image[y - 2 : y + 2, x - 2 : x + 2].reshape(-1, 3).astype(int)
            error = np.abs(patch.mean(axis=0) - QUADRANTS[row, column]).max()
            assert error < 25, f"{what}: quadrant {row, column} is {patch.mean(axis=0)}"


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """Two class folders of the same picture, stored in every orientation and format."""
    assert image_formats.heif_supported()  # pillow-heif is a dependency; this registers it
    root = tmp_path_factory.mktemp("photos")
    for name in ("a", "b"):
        (root / name).mkdir()
    for tag, store in STORED.items():
        save(root / "a" / f"tag{tag}.jpg", store(UPRIGHT), tag, quality=95)
    save(root / "b" / "tag6.png", STORED[6](UPRIGHT), 6)  # TensorFlow decodes, we turn
    save(root / "b" / "tag3.webp", STORED[3](UPRIGHT), 3, lossless=True)  # Pillow path
    save(root / "b" / "phone.heic", UPRIGHT, quality=95)
    save(root / "b" / "turned.heic", STORED[6](UPRIGHT), 6, quality=95)  # turned once, not twice
    save(root / "b" / "phone.avif", STORED[8](UPRIGHT), 8, quality=95)
    return root


def test_the_stored_pictures_are_what_pillows_exif_transpose_turns_upright():
    from PIL import ImageOps

    for tag, store in STORED.items():
        stored = save(io.BytesIO(), store(UPRIGHT), tag, format="PNG")
        stored.seek(0)
        viewed = np.asarray(ImageOps.exif_transpose(Image.open(stored)))
        assert np.array_equal(viewed, UPRIGHT), tag


@pytest.mark.parametrize("loader", ["tf", "arrays"])
def test_every_loader_sees_every_photo_upright(photos, loader):
    data = fv.load_image_folder(
        photos, image_size=SIZE, validation_split=0.0, test_split=0.0, loader=loader
    )
    assert data.skipped == [] and data.num_images("train") == 13
    images = [image for batch, _ in numpy_batches(data.train) for image in batch]
    assert len(images) == 13
    for image in images:
        assert image.shape == (*SIZE, 3)
        assert_upright(image, loader)


def test_the_check_reads_upright_sizes_and_tags(photos):
    paths = sorted(str(p) for p in photos.rglob("*.*"))
    checked, skipped = check_images(paths, image_size=SIZE)
    assert skipped == []
    for image in checked:
        assert (image.height, image.width) == UPRIGHT.shape[:2], image.path
        if image.inline_png:  # decoded by Pillow: upright already, shrunk to cover SIZE
            assert image.orientation == 1
            assert Image.open(io.BytesIO(image.inline_png)).size == (SIZE[1], SIZE[0])
    tags = {Path(c.path).name: c.orientation for c in checked}
    assert tags["tag6.jpg"] == 6 and tags["tag6.png"] == 6 and tags["tag1.jpg"] == 1


def tiny_model_for(size: tuple[int, int]):
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((*size, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def test_predict_and_the_report_gallery_see_the_photos_upright(photos, monkeypatch):
    import foodvision.predict as predict_module

    model = tiny_model_for(SIZE)
    seen = []
    real = predict_module.predict_tta

    def spy(model, images, views):
        seen.extend(images)
        return real(model, images, views)

    monkeypatch.setattr(predict_module, "predict_tta", spy)
    predictions = fv.predict_files(model, [photos], class_names=["a", "b"])
    assert len(predictions) == 13 and all(p.error is None for p in predictions)
    for image in seen:
        assert_upright(image, "predict")

    data = fv.load_image_folder(photos, image_size=SIZE, validation_split=0.0, test_split=0.0)
    report = fv.evaluate(model, data.train, data.class_names, interpret=False)
    assert report.mistake_images  # every picture is the same, so one class is all wrong
    for image in report.mistake_images.values():
        assert_upright(image, "gallery")


def test_heic_and_avif_train_and_predict(photos):
    data = fv.load_image_folder(photos, image_size=SIZE, validation_split=0.0, test_split=0.0)
    assert {Path(p).suffix for p in data.files["train"]} >= {".heic", ".avif"}
    model = tiny_model_for(SIZE)
    history = fv.train(model, data, epochs=1, verbose=0, model_file=False)
    assert np.isfinite(history.history["loss"][0])
    phone = [photos / "b" / "phone.heic", photos / "b" / "phone.avif"]
    predictions = fv.predict_files(model, phone, class_names=["a", "b"])
    assert [p.error for p in predictions] == [None, None]


def test_heic_without_the_plugin_is_skipped_with_a_reason_naming_it(photos, monkeypatch):
    import PIL.Image

    monkeypatch.setattr(image_formats, "heif_supported", lambda: False)
    monkeypatch.setattr("foodvision.data.checks.heif_supported", lambda: False)
    monkeypatch.setattr(PIL.Image, "ID", [i for i in PIL.Image.ID if i != "HEIF"])
    monkeypatch.setattr(PIL.Image, "OPEN", {k: v for k, v in PIL.Image.OPEN.items() if k != "HEIF"})
    heic = str(photos / "b" / "phone.heic")
    for decode in (True, False):
        checked, skipped = check_images([heic], decode=decode)
        assert checked == [None]
        assert "pip install pillow-heif" in skipped[0][1], skipped


def test_camera_raw_files_are_listed_and_skipped_with_a_reason(tmp_path):
    (tmp_path / "IMG_0001.DNG").write_bytes(b"II*\0" + bytes(100))
    checked, skipped = check_images(fv.data.checks.list_image_files(tmp_path))
    assert checked == [None] and "camera raw file (.dng)" in skipped[0][1]


def smooth_photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A photo-like picture: smooth shapes, edges and sensor-like noise."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 40, width // 40, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(small).resize((width, height), Image.BICUBIC), float)
    noisy = base + rng.normal(0, 6, base.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def test_reduced_jpeg_decode_matches_a_full_decode_then_resize(tmp_path):
    path = tmp_path / "big.jpg"
    Image.fromarray(smooth_photo(1200, 1600)).save(path, quality=92)
    size = (56, 64)
    with Image.open(path) as image:
        full = resize_rgb(image.convert("RGB"), size).astype(int)
    assert open_upright(path, size).size == (400, 300)  # decoded at 1/4 scale
    [checked], _ = check_images([str(path)], decode=False)
    reduced = decode_file(checked, size).astype(int)
    assert np.abs(reduced - full).mean() < 0.5
    assert np.abs(reduced - full).max() <= 2


def test_a_colour_profile_is_converted_to_srgb_and_srgb_is_left_alone(tmp_path):
    from PIL import ImageCms

    values = np.arange(0, 256, 5, dtype=np.uint8)
    picture = np.stack([values, values[::-1], np.full_like(values, 128)], -1)[None]
    picture = np.repeat(picture, 8, axis=0)  # 8 x 52
    linear = save(tmp_path / "linear.png", picture, icc_profile=rgb_profile(1.0))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = save(tmp_path / "srgb.png", picture, icc_profile=srgb)
    # Independent: the linear values encoded with the sRGB transfer function.
    v = picture / 255.0
    expected = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055) * 255
    size = picture.shape[:2]
    checked, _ = check_images([str(linear), str(plain)], image_size=size)
    assert checked[0].inline_png and not checked[1].inline_png  # only the linear one converts
    for decode in ("arrays", "tf"):
        if decode == "arrays":
            out = [decode_file(c, size).astype(float) for c in checked]
        else:
            dataset = fv.data.make_file_dataset(checked, [0, 1], image_size=size, cache=None)
            out = [image.astype(float) for batch, _ in numpy_batches(dataset) for image in batch]
        assert np.abs(out[0] - expected).max() <= 1.0, decode
        assert np.array_equal(out[1], picture.astype(float)), decode
