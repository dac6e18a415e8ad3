"""The wheel: what it holds, what it asks to install where, and that it runs by itself.

The wheel is built from a copy of the project's files (as a fresh clone has them), and
run from outside the checkout with the wheel's own files first on the path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import numpy as np
import pytest
from harness import write_image
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

PLATFORMS = {
    "linux x86_64": {"sys_platform": "linux", "platform_machine": "x86_64"},
    "linux aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
    "macos arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
    "windows x86_64": {"sys_platform": "win32", "platform_machine": "AMD64"},
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."]
    done = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    [built] = out.glob("foodvision-*.whl")
    return built


def requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(name).decode())
    return [Requirement(line) for line in metadata.get_all("Requires-Dist")]


def test_the_wheel_holds_the_package_its_type_marker_and_no_tests(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "foodvision/py.typed" in names
    for module in (
        "foodvision/__main__.py",
        "foodvision/base/checks.py",
        "foodvision/apps/cli/command.py",
        "foodvision/apps/study/runner.py",
        "foodvision/apps/bench/worker.py",
        "foodvision/models/weights.py",
    ):
        assert module in names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "foodvision = foodvision.apps.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def test_every_platform_gets_one_tensorflow_and_the_declared_imports(wheel):
    required = {}
    for requirement in requirements(wheel):
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            required.setdefault(requirement.name, requirement)
    for name in ("scipy", "h5py", "keras", "jax", "jaxlib", "keras-tuner", "pillow"):
        assert name in {r.name for r in requirements(wheel)}, name
    assert "tensorboard" in required  # tf.summary writes the --tensorboard logs with it
    keras = next(r for r in requirements(wheel) if r.name == "keras")
    assert "3.15.1" in keras.specifier and "3.16.0" not in keras.specifier
    for platform, environment in PLATFORMS.items():
        wanted = [
            r.name
            for r in requirements(wheel)
            if r.name in ("tensorflow", "tensorflow-cpu")
            and (r.marker is None or r.marker.evaluate({**environment, "extra": ""}))
        ]
        expected = ["tensorflow-cpu"] if "x86_64" in platform else ["tensorflow"]
        assert wanted == expected, platform


def test_the_installed_wheel_trains_and_predicts_from_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target)]
    done = subprocess.run([*install, str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    env = {**os.environ, "PYTHONPATH": str(target), "KERAS_BACKEND": "tensorflow"}
    code = "import foodvision, sys; print(foodvision.__file__); sys.argv[0] = 'foodvision';"
    code += "from foodvision.apps.cli import main; sys.exit(main(sys.argv[1:]))"
    outside = tmp_path / "elsewhere"
    outside.mkdir()

    def run(*args):
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    version = run("--version")
    assert version.returncode == 0, version.stderr
    where, printed = version.stdout.strip().splitlines()
    assert Path(where).is_relative_to(target)  # the wheel's files, not the checkout's
    assert printed.startswith("foodvision ") and printed != "foodvision 0+unknown"
    models = run("models")
    assert models.returncode == 0 and "vgg16_finetune" in models.stdout, models.stderr
    out = tmp_path / "run"
    args = ["train", "--model", "baseline_cnn", "--data", "synthetic", "--epochs", "1"]
    trained = run(*args, "--image-size", "32", "--out", str(out))
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert (out / "best.keras").exists() and (out / "history.csv").exists()
    assert (out / "model.keras").exists() and (out / "model_card.md").exists()
    image = write_image(tmp_path / "plate.png", np.full((40, 50, 3), 120, np.uint8))
    (tmp_path / "bad.jpg").write_bytes(b"")
    predicted = run("predict", str(out / "model.keras"), str(image), str(tmp_path / "bad.jpg"))
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    lines = predicted.stdout.strip().splitlines()[1:]  # after the module path
    assert lines[0].startswith(str(image)) and lines[0].count("%") == 3
    assert any(name in lines[0] for name in ("pizza", "donut", "sushi", "salad", "fries"))
    assert "skipped (empty file" in lines[1]
