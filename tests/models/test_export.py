"""``fv.export``: ONNX, SavedModel and LiteRT give the Keras model's probabilities."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import foodvision as fv

SCRIPT = Path(__file__).with_name("export_check_script.py")

pytest.importorskip("onnxruntime", reason="the [export] extra is not installed")
pytest.importorskip("tf2onnx", reason="the [export] extra is not installed")


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_exports_agree_with_keras_on_real_photos(backend, food101_root, tmp_path):
    photos = sorted((food101_root / "images").glob("*/*.jpg"))[::97][:8]
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), *map(str, photos)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["backend"] == backend
    assert found["onnx"] < 1e-4 and found["saved_model"] < 1e-4
    if backend == "tensorflow":
        assert found["litert"] < 1e-4
    assert found["onnx_classes"] == found["saved_model_classes"] == ["apple_pie", "ramen", "sushi"]


def test_unknown_format_bad_paths_and_missing_model_are_clear(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'pt'; choose one of onnx"):
        fv.export(tmp_path / "m.keras", tmp_path / "m.pt", format="pt")
    with pytest.raises(ValueError, match=r"a LiteRT model is a \.tflite file"):
        fv.export(tmp_path / "m.keras", tmp_path / "m.lite", format="litert")
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ValueError, match="a SavedModel is a folder"):
        fv.export(tmp_path / "m.keras", tmp_path / "taken", format="saved_model")
    from foodvision.apps.cli import main

    assert main(["export", str(tmp_path / "missing.keras")]) == 2
