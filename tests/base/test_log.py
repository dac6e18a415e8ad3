"""Progress lines of long passes, and the ``foodvision`` logger's verbosity."""

import numpy as np
import pytest
from harness import tiny_model, tiny_random_cnn, write_image

import foodvision as fv
from foodvision.base.log import Progress, set_verbosity
from foodvision.data.checks import CHECK_PROGRESS_MIN, check_images


@pytest.fixture(autouse=True)
def info_level():
    set_verbosity("info")
    yield
    set_verbosity("info")


def test_lines_give_count_rate_and_time_left_then_a_summary(capsys):
    with Progress("crunching", total=4, interval=0.0) as progress:
        for _ in range(4):
            progress.add(1)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("crunching: 1/4 images, ") and lines[0].endswith(" s left")
    assert "images/s" in lines[0]
    assert lines[-1].startswith("crunching: 4 images in ") and lines[-1].endswith("images/s)")


def test_quiet_and_small_passes_show_nothing(capsys):
    set_verbosity("quiet")
    with Progress("hushed", total=10, interval=0.0) as progress:
        progress.add(10)
    set_verbosity("info")
    with Progress("tiny", total=3, min_total=5, interval=0.0) as progress:
        progress.add(3)
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="unknown verbosity"):
        set_verbosity("loud")


def test_file_check_evaluation_and_prediction_show_progress(tmp_path, capsys):
    image = np.full((8, 8, 3), 120, np.uint8)
    paths = [str(write_image(tmp_path / f"{i}.png", image)) for i in range(CHECK_PROGRESS_MIN)]
    check_images(paths)
    assert f"checking files: {CHECK_PROGRESS_MIN} files in" in capsys.readouterr().err
    model = tiny_model(num_classes=3, size=8)
    images = np.repeat(image[None], 40, axis=0)
    fv.evaluate(model, (images, np.zeros(40, np.int32)), ["a", "b", "c"], interpret=False)
    assert "evaluating" not in capsys.readouterr().err  # one batch: too short to show
    batches = [(images[i : i + 4], np.zeros(4, np.int32)) for i in range(0, 40, 4)]
    fv.evaluate(model, batches, ["a", "b", "c"], interpret=False)
    assert "evaluating: 40 images in" in capsys.readouterr().err
    fv.predict_files(model, paths[:4], batch_size=2)
    assert "predicting: 4 images in" in capsys.readouterr().err


def test_tta_report_shows_both_numbers(capsys):
    model = tiny_random_cnn(num_classes=4, size=16)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (24, 16, 16, 3)).astype(np.uint8)
    labels = rng.integers(0, 4, 24).astype(np.int32)
    report = fv.evaluate(model, (images, labels), list("abcd"), interpret=False, tta=True)
    x = images.astype("float32")
    mean = (model.predict_on_batch(x) + model.predict_on_batch(x[:, :, ::-1])) / 2
    assert report.tta["views"] == ["original", "flip"]
    assert report.tta["accuracy"] == pytest.approx(np.mean(mean.argmax(1) == labels))
    true = np.clip(mean[np.arange(24), labels], 1e-7, 1)  # the loss clips at 1e-7
    assert report.tta["loss"] == pytest.approx(-np.mean(np.log(true)), rel=1e-5)
    assert report.to_dict()["tta"]["accuracy"] == report.tta["accuracy"]
    assert "with test-time augmentation (original + flip)" in report.summary()
    assert fv.evaluate(model, (images, labels), list("abcd"), interpret=False).tta is None
