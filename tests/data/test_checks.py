import io

import numpy as np
import pytest
import tensorflow as tf
from harness import jpeg_bytes, write_bad_files
from PIL import Image

from foodvision.data.checks import check_image, check_images, is_image_file, list_image_files
from foodvision.data.pipeline import decode_file


def decode_like_pipeline(checked):
    image = decode_file(tf.constant(checked.path), tf.constant(checked.inline_png), tf.constant(0))
    return image.numpy().astype(int)


def test_bad_files_are_reported_with_reasons(tmp_path):
    expected = write_bad_files(tmp_path)
    for name, reason in expected.items():
        result = check_image(str(tmp_path / name))
        assert isinstance(result, str), name
        assert result.startswith(reason), (name, result)


def test_unreadable_and_missing_files_are_reported(tmp_path):
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(tmp_path / "loop.jpg")
    assert check_image(str(loop)).startswith("cannot read file")
    assert check_image(str(tmp_path / "absent.jpg")).startswith("cannot read file")


def test_check_images_keeps_order_and_lists_skipped(tmp_path):
    good = tmp_path / "good.jpg"
    good.write_bytes(jpeg_bytes())
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"")
    checked, skipped = check_images([str(good), str(bad), str(good)])
    assert [c is not None for c in checked] == [True, False, True]
    assert skipped == [(str(bad), "empty file (0 bytes)")]
    assert (checked[0].height, checked[0].width, checked[0].format) == (32, 40, "JPEG")


def save(image: Image.Image, path, **kwargs):
    image.save(path, **kwargs)
    return str(path)


RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, size=(30, 20, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    ("name", "make", "tolerance"),
    [
        ("gray.jpg", lambda: Image.fromarray(RGB).convert("L"), 6),
        ("cmyk.jpg", lambda: Image.fromarray(RGB).convert("CMYK"), 12),
        ("rgba.png", lambda: Image.fromarray(RGB).convert("RGBA"), 0),
        ("la.png", lambda: Image.fromarray(RGB).convert("LA"), 0),
        ("palette.png", lambda: Image.fromarray(RGB).convert("P"), 0),
        ("palette.bmp", lambda: Image.fromarray(RGB).convert("P"), 0),
        ("rgb.bmp", lambda: Image.fromarray(RGB), 0),
        ("rgb.webp", lambda: Image.fromarray(RGB), 0),
    ],
)
def test_colour_modes_decode_to_the_same_rgb_as_pillow(tmp_path, name, make, tolerance):
    path = save(make(), tmp_path / name, **({"quality": 95} if name.endswith(".jpg") else {}))
    checked = check_image(path)
    assert not isinstance(checked, str), checked
    decoded = decode_like_pipeline(checked)
    reference = np.asarray(Image.open(path).convert("RGB")).astype(int)
    assert decoded.shape == (30, 20, 3)
    assert np.abs(decoded - reference).max() <= tolerance


def test_palette_png_with_transparency_and_animated_gif(tmp_path):
    palette = Image.fromarray(RGB).convert("P")
    path = save(palette, tmp_path / "transparent.png", transparency=0)
    decoded = decode_like_pipeline(check_image(path))
    assert np.array_equal(decoded, np.asarray(palette.convert("RGB")).astype(int))

    frames = [Image.fromarray(np.full((16, 16, 3), v, np.uint8)).convert("P") for v in (10, 200)]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50, loop=0)
    decoded = decode_like_pipeline(check_image(str(gif)))
    assert decoded.shape == (16, 16, 3)
    assert abs(decoded.mean() - 10) < 3  # the first frame, not the second


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    values = np.linspace(0, 65535, 16 * 16).reshape(16, 16).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)  # mode I;16
    decoded = decode_like_pipeline(check_image(str(path)))
    expected = np.rint(values / 257.0)
    assert np.abs(decoded[..., 0] - expected).max() <= 1
    assert decoded[..., 0].max() == 255 and decoded[..., 0].min() == 0
    assert 120 < decoded.mean() < 135  # clipping would push the mean to ~254


def test_16_bit_bmp_like_fallback_keeps_range():
    # Pillow's own I;16 -> RGB conversion clips; the fallback must scale instead.
    from foodvision.data.image_formats import pil_to_rgb

    image = Image.fromarray(np.full((4, 4), 65535, np.uint16))
    assert pil_to_rgb(image).max() == 255
    half = Image.fromarray(np.full((4, 4), 32768, np.uint16))
    assert abs(int(pil_to_rgb(half)[0, 0, 0]) - 128) <= 1


def test_listing_ignores_hidden_and_counts_non_images(tmp_path, caplog):
    for name in [
        "a.jpg",
        "b.PNG",
        ".hidden.jpg",
        "notes.txt",
        "c.jpeg.bak",
        "sub/d.gif",
        ".cache/e.jpg",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    with caplog.at_level("INFO", logger="foodvision"):
        found = [p.replace(str(tmp_path) + "/", "") for p in list_image_files(tmp_path)]
    assert found == ["a.jpg", "b.PNG", "sub/d.gif"]
    assert "left out 2 files" in caplog.text and "1 .bak, 1 .txt" in caplog.text
    for name in ["x.webp", "x.tiff", "IMG_1.HEIC", "x.heif", "x.avif", "x.jfif", "x.dng"]:
        assert is_image_file(name), name
    assert not is_image_file("x.json")


def test_jpeg_sniffed_by_content_not_suffix(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(RGB).save(buffer, "PNG")
    path = tmp_path / "actually_png.jpg"
    path.write_bytes(buffer.getvalue())
    checked = check_image(str(path))
    assert checked.format == "PNG"
    assert np.array_equal(decode_like_pipeline(checked), RGB.astype(int))
