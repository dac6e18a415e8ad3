"""Every example script runs on a tiny class-per-folder dataset and writes its report.

The step examples run in this process (``runpy``, as ``__main__``), which spares a Keras
start-up each; the whole-study example runs as a user runs it, in a new process that
chooses the backend before Keras is imported.
"""

import json
import os
import runpy
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


def run_here(script, *args, monkeypatch):
    """Run an example as ``__main__`` in this process, from the examples folder."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setattr(sys, "argv", [script, *args])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")


@pytest.mark.parametrize("script", sorted(TINY))
def test_example_writes_its_report(script, folder, tmp_path, weights_env, monkeypatch, capsys):
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    run_here(
        script, "--data", str(folder), "--out", str(out), *TINY[script], monkeypatch=monkeypatch
    )
    assert "test accuracy" in capsys.readouterr().out
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


def test_run_study_example_refuses_a_step_that_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="valid steps"):
        run_here("run_study.py", "--steps", "9", monkeypatch=monkeypatch)
