"""Every ``foodvision`` command with a missing or wrong argument, run as a real process.

Each case must exit with status 2 and print exactly one line on stderr that says what was
wrong (and, for argument mistakes, where the help is), with no traceback; ``--debug``
shows the traceback instead. Argument mistakes are found before Keras is imported, so
most cases take a fraction of a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from harness import save_lambda_model
from PIL import Image

import foodvision as fv

CLI = [sys.executable, "-m", "foodvision"]


def run(args: list[str], command: list[str] = CLI) -> subprocess.CompletedProcess:
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "jax"))
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Paths the cases refer to as ``{name}``: an image, broken models, odd folders."""

    folder = tmp_path_factory.mktemp("cli")
    image = folder / "plate.png"
    Image.fromarray(np.full((16, 16, 3), 120, np.uint8)).save(image)
    (folder / "corrupt.keras").write_bytes(np.random.default_rng(0).bytes(500))
    (folder / "legacy.h5").write_bytes(b"not a model")
    save_lambda_model(folder / "lambda.keras")
    (folder / "one_class" / "pizza").mkdir(parents=True)
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(folder / "one_class/pizza/1.png")
    return {
        "dir": str(folder),
        "image": str(image),
        "missing": str(folder / "missing"),
        "corrupt": str(folder / "corrupt.keras"),
        "legacy": str(folder / "legacy.h5"),
        "lambda": str(folder / "lambda.keras"),
        "one_class": str(folder / "one_class"),
        "out": str(folder / "out"),
    }


CASES = [
    # -- the command line itself
    ("no command", [], ["the following arguments are required: COMMAND"]),
    ("unknown command", ["nonsense"], ["invalid choice: 'nonsense'", "foodvision --help"]),
    ("unknown backend", ["--backend", "theano", "models"], ["invalid choice: 'theano'"]),
    ("backend without a value", ["--backend"], ["--backend: expected one argument"]),
    # -- models
    ("models: unknown option", ["models", "--bogus"], ["unrecognized arguments: --bogus"]),
    # -- data
    ("data: no dataset", ["data"], ["required: data", "foodvision data --help"]),
    ("data: missing folder", ["data", "{missing}"], ["does not exist", "'synthetic'"]),
    ("data: a file, not a folder", ["data", "{image}"], ["it is a file, not a folder"]),
    ("data: one class", ["data", "{one_class}"], ["need at least 2 classes", "pizza"]),
    ("data: size not a number", ["data", "synthetic", "--image-size", "abc"], ["N or HxW"]),
    ("data: size too small", ["data", "synthetic", "--image-size", "4"], ["sides >= 8"]),
    (
        "data: bad validation split",
        ["data", "synthetic", "--validation-split", "1.5"],
        ["validation_split must be a fraction in [0, 1), got 1.5"],
    ),
    # -- train
    ("train: no model, no out", ["train"], ["required: --model, --out"]),
    ("train: no out", ["train", "--model", "baseline_cnn"], ["required: --out"]),
    (
        "train: epochs not a number",
        ["train", "--model", "baseline_cnn", "--out", "{out}", "--epochs", "ten"],
        ["argument --epochs: invalid int value: 'ten'"],
    ),
    (
        "train: unknown schedule",
        ["train", "--model", "baseline_cnn", "--out", "{out}", "--schedule", "linear"],
        ["argument --schedule: invalid choice: 'linear'"],
    ),
    (
        "train: zero epochs, before the data loads [in-process]",
        ["train", "--model", "baseline_cnn", "--data", "{missing}", "--out", "{out}"]
        + ["--epochs", "0"],
        ["--epochs must be an integer >= 1, got 0"],
    ),
    (
        "train: unknown augmentation [in-process]",
        ["train", "--model", "baseline_cnn", "--out", "{out}", "--augmentation", "bogus"],
        ["--augmentation must be one of auto, none, light, standard, strong, got"],
    ),
    (
        "train: label smoothing out of range [in-process]",
        ["train", "--model", "baseline_cnn", "--out", "{out}", "--label-smoothing", "2"],
        ["label_smoothing must be in [0, 1), got 2.0"],
    ),
    (
        "train: zero batch size [in-process]",
        ["train", "--model", "baseline_cnn", "--out", "{out}", "--batch-size", "0"],
        ["batch_size must be an integer >= 1, got 0"],
    ),
    (
        "data: half an image size",
        ["data", "synthetic", "--image-size", "10x"],
        ["expected N or HxW, got '10x'"],
    ),
    (
        "data: no class names",
        ["data", "synthetic", "--classes", ","],
        ["expected class names like a,b,c, got ','"],
    ),
    (
        "train: unknown model [in-process]",
        ["train", "--model", "vgg61", "--out", "{out}"],
        ["unknown model 'vgg61'", "did you mean 'vgg16_finetune'"],
    ),
    (
        "train: missing data [in-process]",
        ["train", "--model", "baseline_cnn", "--data", "{missing}", "--out", "{out}"],
        ["does not exist"],
    ),
    # -- predict
    ("predict: nothing", ["predict"], ["required: model, images"]),
    ("predict: no images", ["predict", "{corrupt}"], ["required: images"]),
    (
        "predict: top-k not a number",
        ["predict", "{corrupt}", "{image}", "--top-k", "x"],
        ["argument --top-k: invalid int value: 'x'"],
    ),
    (
        "predict: missing model [in-process]",
        ["predict", "{missing}", "{image}"],
        ["model file not found"],
    ),
    (
        "predict: corrupt model [in-process]",
        ["predict", "{corrupt}", "{image}"],
        ["is not a valid .keras archive", "truncated or corrupt"],
    ),
    (
        "predict: Lambda model [in-process]",
        ["predict", "{lambda}", "{image}"],
        ["refusing to load", "Lambda layer", "arbitrary code", "safe_mode=False"],
    ),
    # -- evaluate
    ("evaluate: nothing", ["evaluate"], ["required: MODEL.keras, --out"]),
    (
        "evaluate: unknown split",
        ["evaluate", "{corrupt}", "--out", "{out}", "--split", "dev"],
        ["argument --split: invalid choice: 'dev'"],
    ),
    (
        "evaluate: missing model [in-process]",
        ["evaluate", "{missing}", "--out", "{out}"],
        ["does not exist", ".keras file written by model.save()"],
    ),
    (
        "evaluate: not a .keras file [in-process]",
        ["evaluate", "{legacy}", "--out", "{out}"],
        ["is not a .keras file"],
    ),
    (
        "evaluate: corrupt model [in-process]",
        ["evaluate", "{corrupt}", "--out", "{out}"],
        ["is not a valid .keras archive"],
    ),
    (
        "export: not a .keras file [in-process]",
        ["export", "{legacy}"],
        ["is not a .keras file; save the model with model.save"],
    ),
    # -- study
    ("study: unknown step", ["study", "--steps", "7"], ["valid steps: 1 (baseline)"]),
    ("study: steps not numbers", ["study", "--steps", "one"], ["like 1,3,5"]),
    ("study: unknown profile", ["study", "--profile", "fast"], ["invalid choice: 'fast'"]),
    # -- bench
    (
        "bench: unknown precision",
        ["bench", "--precision", "float7"],
        ["argument --precision: invalid choice: 'float7'"],
    ),
    ("bench: zero batch", ["bench", "--batch-size", "0"], ["--batch-size must be >= 1, got 0"]),
    ("bench: unknown model", ["bench", "--models", "nope"], ["no benchmark case for ['nope']"]),
]


IN_PROCESS = " [in-process]"
"""Cases that fail only after Keras is imported (3 s a process here) run through
``foodvision.apps.cli.command`` in this process; the same path runs as a process in
``test_a_keras_level_error_is_one_line_in_a_real_process``."""


def run_in_process(args: list[str], capsys, monkeypatch) -> tuple[int, str]:
    import keras

    from foodvision.apps.cli import main

    # main() sets these two variables; keep them from leaking into later tests
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    capsys.readouterr()
    status = main(args)
    return status, capsys.readouterr().err


@pytest.mark.parametrize(("args", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_command_line_is_one_line_exit_2(files, args, words, request, capsys, monkeypatch):
    args = [arg.format(**files) for arg in args]
    if request.node.callspec.id.endswith(IN_PROCESS):
        status, stderr = run_in_process(args, capsys, monkeypatch)
    else:
        result = run(args)
        status, stderr = result.returncode, result.stderr
    assert status == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("foodvision") and ": error: " in lines[0], lines[0]
    for word in words:
        assert word.format(**files) in lines[0], (word, lines[0])
    assert "Traceback" not in stderr
    assert not Path(files["out"]).exists()  # nothing was started


def test_a_keras_level_error_is_one_line_in_a_real_process(files):
    result = run(["predict", files["lambda"], files["image"]])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"foodvision predict: error: refusing to load {files['lambda']!r} in safe mode: it "
        "contains a Lambda layer holding Python code, and loading it could run arbitrary "
        "code. Rebuild the model without Lambda layers (foodvision's models have none), or "
        "pass safe_mode=False only for a file you trust"
    ]


def test_argument_errors_point_to_the_commands_help():
    result = run(["train", "--model", "baseline_cnn"])
    assert result.stderr.strip().endswith("(see: foodvision train --help)")


def test_the_installed_console_script_behaves_the_same(files):
    script = Path(sys.executable).with_name("foodvision")
    if not script.exists():
        pytest.skip("the foodvision console script is not installed next to this python")
    result = run(["data", files["missing"]], command=[str(script)])
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"foodvision data: error: data {files['missing']!r} does not exist; give a "
        "class-per-folder or Food-101 folder, 'food101' (download) or 'synthetic'"
    ]


def test_debug_shows_the_traceback(files):
    result = run(["--debug", "data", files["missing"]])
    assert result.returncode != 0
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.strip().splitlines()[-1].startswith("FileNotFoundError: data ")


def test_unexpected_errors_are_one_line_too(monkeypatch, capsys):
    """A failure that is not a usage error still prints one line, without a traceback."""
    from foodvision.apps import cli
    from foodvision.apps.cli import models

    def broken(args):
        raise RuntimeError("something inside broke\nsecond line")

    monkeypatch.setattr(models, "run", broken)
    status, stderr = run_in_process(["models"], capsys, monkeypatch)
    assert status == 1
    err = stderr.strip().splitlines()
    assert err == [
        "foodvision models: error: RuntimeError: something inside broke | second line "
        "(run again with --debug for the traceback)"
    ]
    with pytest.raises(RuntimeError, match="something inside broke"):
        cli.main(["--debug", "models"])


@pytest.mark.filterwarnings("ignore:from elsewhere")  # the --debug call shows it again
def test_this_packages_warnings_are_one_line(monkeypatch, capsys):
    """A skipped-files warning reads as one line; another category keeps Python's display."""
    import warnings

    from foodvision.apps.cli import models
    from foodvision.data.checks import warn_skipped

    def warns(args):
        warn_skipped([("a.jpg", "empty file"), ("b.jpg", "not an image: b.jpg")], 9)
        # pointing into the package, but not its category: Python's display
        warnings.warn_explicit("from elsewhere", UserWarning, models.__file__, 7)
        return 0

    monkeypatch.setattr(models, "run", warns)
    with pytest.warns(UserWarning, match="from elsewhere") as other:
        shown_before = warnings.showwarning
        status, stderr = run_in_process(["models"], capsys, monkeypatch)
        assert warnings.showwarning is shown_before  # put back after the command
    assert status == 0
    assert stderr.strip().splitlines() == [
        "foodvision models: warning: skipped 2 of 9 image files "
        "(1 empty file; 1 not an image); see ImageData.skipped for the list"
    ]
    assert [w.category for w in other] == [UserWarning]
    with pytest.warns(fv.FoodvisionWarning, match="skipped 2 of 9"):  # Python's display
        status, stderr = run_in_process(["--debug", "models"], capsys, monkeypatch)
    assert status == 0 and "foodvision models: warning" not in stderr
