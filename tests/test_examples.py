"""Every example script runs on a tiny class-per-folder dataset and writes its report."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

TINY = {
    "step1_baseline.py": ["--epochs", "1", "--image-size", "32"],
    "step2_deeper.py": ["--epochs", "1", "--image-size", "32"],
    "step3_augmented.py": ["--epochs", "1", "--image-size", "32"],
    "step4_tuning.py": [
        "--epochs",
        "1",
        "--image-size",
        "32",
        "--trials",
        "1",
        "--trial-epochs",
        "1",
    ],
    "step5_vgg16_finetune.py": ["--epochs", "1", "--image-size", "32", "--finetune-epochs", "1"],
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    import numpy as np
    from harness import write_image

    root = tmp_path_factory.mktemp("examples_data")
    rng = np.random.default_rng(0)
    for index, name in enumerate(("apple_pie", "ramen", "sushi")):
        for i in range(10):
            image = np.full((40, 40, 3), 50 + 70 * index, np.uint8)
            write_image(
                root / name / f"{i}.jpg", image + rng.integers(0, 30, image.shape, np.uint8)
            )
    return root


def run(script, *args, cwd):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=env,
    )


@pytest.mark.parametrize("script", sorted(TINY))
def test_example_writes_its_report(script, folder, tmp_path, weights_env):
    out = tmp_path / "out"
    result = run(script, "--data", str(folder), "--out", str(out), *TINY[script], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test accuracy" in result.stdout
    metrics = json.loads((out / "report" / "metrics.json").read_text())
    assert metrics["class_names"] == ["apple_pie", "ramen", "sushi"]
    assert (out / "report" / "report.html").exists()
    if script.startswith("step4"):
        assert (out / "tuning" / "best_hyperparameters.json").exists()


def test_run_study_example(folder, tmp_path, weights_env):
    out = tmp_path / "study"
    args = ["--data", str(folder), "--out", str(out), "--steps", "1,5", "--epochs", "1"]
    result = run("run_study.py", *args, "--image-size", "32", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert [s["step"] for s in summary["steps"]] == [1, 5]
    assert (out / "study.html").exists()
    bad = run("run_study.py", "--steps", "9", cwd=tmp_path)
    assert bad.returncode != 0 and "valid steps" in bad.stderr
