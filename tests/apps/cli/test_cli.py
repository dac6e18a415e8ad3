import subprocess
import sys


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "foodvision", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_data_synthetic_summary():
    result = run_cli("data", "synthetic", "--image-size", "32")
    assert result.returncode == 0, result.stderr
    assert "classes: 5" in result.stdout and "pizza" in result.stdout
    assert "skipped: 0 file(s)" in result.stdout


def test_missing_data_is_one_line_without_traceback(tmp_path):
    result = run_cli("data", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_arguments_exit_non_zero():
    assert run_cli("data", "synthetic", "--image-size", "abc").returncode == 2
    assert run_cli("nonsense").returncode == 2
    assert run_cli("--backend", "theano", "data", "synthetic").returncode == 2


def test_backend_defaults_to_auto_and_import_does_not_set_it():
    import os

    from foodvision.base.backends import jax_accelerator

    expected = "jax" if jax_accelerator() else "tensorflow"  # the documented auto policy
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    code = (
        "import os, foodvision, foodvision.apps.cli.common as c;"
        "assert 'KERAS_BACKEND' not in os.environ;"
        "print(c.choose_backend_for(None)); import keras; print(keras.backend.backend())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, expected]
    assert f"backend {expected} (auto" in result.stderr  # said at start


def test_unknown_model_is_named_before_loading_data():
    result = run_cli("train", "--model", "vgg61", "--data", "synthetic", "--out", "unused")
    assert result.returncode == 2
    assert "vgg16_finetune" in result.stderr and "Traceback" not in result.stderr


def test_the_command_runs_on_the_auto_backend_when_none_is_set():
    import os

    from foodvision.base.backends import choose_backend

    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    code = (
        "import sys, foodvision.apps.cli as c; sys.argv = ['foodvision', 'models'];"
        "status = c.main(); import keras; print(status, keras.backend.backend())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["0", choose_backend("auto").name]
    assert "vgg16_finetune" in result.stdout


def test_study_refuses_bad_arguments_before_training(tmp_path):
    out = tmp_path / "study"
    cases = [
        (["--steps", "7"], "valid steps: 1 (baseline)"),
        (["--profile", "fast"], "choose from 'quick', 'full'"),
        (["--data", str(tmp_path / "nope")], "does not exist"),
    ]
    for args, message in cases:
        result = run_cli("study", "--out", str(out), *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    assert not out.exists()


def test_version_and_help_answer_without_loading_keras():
    import foodvision as fv

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"foodvision {fv.__version__}"
    assert fv.__version__ != "0+unknown"  # read from the installed package's metadata
    code = (
        "import sys; from foodvision.apps.cli import build_parser; parser = build_parser();"
        "parser.parse_args(['study', '--steps', '1,3']);"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_train_passes_its_options_to_fv_train(tmp_path, monkeypatch, capsys, make_folder_dataset):
    import keras

    import foodvision.training
    from foodvision.apps.cli import main

    seen = {}

    def fake_train(model, data, **options):
        seen.update(options, num_classes=data.num_classes, model=model.name)
        seen["train_type"] = type(data.train).__name__
        history = keras.callbacks.History()
        history.epoch, history.history = [0], {"loss": [1.0]}
        return history

    monkeypatch.setattr(foodvision.training, "train", fake_train)
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    root = make_folder_dataset(classes=("a", "b", "c"), per_class=5)
    args = ["train", "--model", "baseline_cnn", "--data", str(root), "--image-size", "32"]
    args += ["--epochs", "3", "--out", str(tmp_path / "run"), "--tensorboard", "logs"]
    args += ["--schedule", "cosine", "--no-resume", "--early-stopping", "4"]
    args += ["--augmentation", "light", "--augment-on", "device", "--loader", "arrays"]
    assert main(args) == 0, capsys.readouterr().err
    assert seen["augmentation"] == "light" and seen["augment_on"] == "device"
    assert seen["tensorboard"] == "logs" and seen["epochs"] == 3 and seen["resume"] is False
    assert seen["schedule"] == "cosine" and seen["early_stopping"] == 4
    assert seen["checkpoint_dir"] == tmp_path / "run" and seen["num_classes"] == 3
    assert seen["model"] == "baseline_cnn"
    assert (tmp_path / "run" / "class_names.json").is_file()
    assert "ArraySplit" in seen["train_type"]
