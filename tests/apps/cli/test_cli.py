import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from harness import make_food101

import foodvision as fv


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
        (["--seeds", "0"], "expected a number of seeds >= 1, got '0'"),
    ]
    for args, message in cases:
        result = run_cli("study", "--out", str(out), *args)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr
    assert not out.exists()


def test_study_quiet_passes_verbose_0_to_run_study(tmp_path, monkeypatch):
    import foodvision.apps.study.runner
    from foodvision.apps.cli import main

    seen = []

    def fake_run_study(data, **options):
        seen.append(options["verbose"])
        return SimpleNamespace(summary={"steps": []}, page=tmp_path / "study.html")

    monkeypatch.setattr(foodvision.apps.study.runner, "run_study", fake_run_study)
    for loudness in ([], ["-q"]):
        assert main(["study", "--out", str(tmp_path), *loudness]) == 0
    assert seen == [1, 0]


def test_study_over_seeds_prints_each_steps_mean_and_seed_ensemble(tmp_path, monkeypatch, capsys):
    import foodvision.apps.study.runner
    from foodvision.apps.cli import main

    step = {
        "step": 5,
        "model": "vgg16_finetune",
        "test_accuracy": 0.907,
        "test_accuracy_sd": 0.004,
        "test_accuracy_ci95": [0.888, 0.926],
        "seed_ensemble_accuracy": 0.92,
    }
    summary = {"seeds": [0, 1], "steps": [step], "comparisons": []}
    monkeypatch.setattr(
        foodvision.apps.study.runner,
        "run_study",
        lambda data, **options: SimpleNamespace(summary=summary, page=tmp_path / "study.html"),
    )
    assert main(["study", "--out", str(tmp_path), "--seeds", "2"]) == 0
    assert (
        "test accuracy 90.7% ± 0.4% over seeds (95% CI 88.8%-92.6%); the seeds as one "
        "ensemble 92.0%"
    ) in capsys.readouterr().out


def test_study_download_fetches_food101_first(tmp_path, monkeypatch, capsys):
    import foodvision.apps.study.runner
    import foodvision.data.food101
    from foodvision.apps.cli import main

    seen = []
    fetched = []

    def fake_download(directory):
        fetched.append(directory)
        return str(make_food101(Path(directory) / "food-101"))

    cache = tmp_path / "datasets"
    monkeypatch.setattr(foodvision.data.food101, "default_food101_dir", lambda: str(cache))
    monkeypatch.setattr(foodvision.data.food101, "download_food101", fake_download)
    monkeypatch.setattr(
        foodvision.apps.study.runner,
        "run_study",
        lambda data, **options: (
            seen.append(data)
            or SimpleNamespace(summary={"steps": []}, page=tmp_path / "study.html")
        ),
    )
    args = ["study", "--out", str(tmp_path / "study"), "--data", "food101", "--download"]
    assert main(args) == 0 and main(args) == 0  # fetched once, then found
    assert fetched == [str(cache)] and seen == [str(cache / "food-101")] * 2
    photos = tmp_path / "photos"
    photos.mkdir()
    for data in ("synthetic", str(photos)):  # never fetched into a folder of one's own
        assert main(["study", "--data", data, "--download"]) == 2
        assert "use it with --data food101" in capsys.readouterr().err
    assert fetched == [str(cache)] and list(photos.iterdir()) == []


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
    assert seen["verbose"] == "auto"
    assert main([*args, "-q"]) == 0 and seen["verbose"] == 0  # no epoch lines either
    assert seen["augmentation"] == "light" and seen["augment_on"] == "device"
    assert seen["tensorboard"] == "logs" and seen["epochs"] == 3 and seen["resume"] is False
    assert seen["schedule"] == "cosine" and seen["early_stopping"] == 4
    assert seen["checkpoint_dir"] == tmp_path / "run" and seen["num_classes"] == 3
    assert seen["model"] == "baseline_cnn"
    assert "ArraySplit" in seen["train_type"]


def test_train_fine_tunes_a_transfer_model_in_two_phases(
    tmp_path, monkeypatch, capsys, make_folder_dataset
):
    import keras

    import foodvision.training
    from foodvision.apps.cli import main

    seen = {}

    def fake_fine_tune(model, data, **options):
        seen.update(options, model=model.name)
        history = keras.callbacks.History()
        history.history = {"loss": [1.0], "val_accuracy": [0.5]}
        return foodvision.training.FineTuneResult(history, None, True, "block5_pool", 0.0, 0.0)

    monkeypatch.setattr(foodvision.training, "fine_tune", fake_fine_tune)
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    root = make_folder_dataset(classes=("a", "b"), per_class=4)
    args = ["train", "--model", "vgg16_finetune", "--data", str(root), "--image-size", "32"]
    args += ["--out", str(tmp_path / "run"), "--head-epochs", "3", "--finetune-epochs", "2"]
    args += ["--trainable-blocks", "2", "--finetune-learning-rate", "3e-5"]
    args += ["--label-smoothing", "0.1", "--class-weight", "balanced", "--no-resume"]
    args += ["--schedule", "cosine", "--finetune-rate-decay", "0.5"]
    monkeypatch.setenv("FOODVISION_WEIGHTS_DIR", str(tmp_path / "none"))
    assert main([*args, "--epochs", "4"]) == 2
    assert "give --head-epochs and --finetune-epochs instead" in capsys.readouterr().err
    assert main([*args, "--finetune-rate-decay", "0"]) == 2
    assert "--finetune-rate-decay must be a number in (0, 1], got 0.0" in capsys.readouterr().err
    real_build = fv.build_model
    monkeypatch.setattr(
        "foodvision.models.build_model",
        lambda name, **kw: real_build(name, weights=None, **kw),
    )
    assert main(args) == 0, capsys.readouterr().err
    assert seen["head_epochs"] == 3 and seen["finetune_epochs"] == 2
    assert seen["trainable_blocks"] == 2 and seen["finetune_learning_rate"] == 3e-5
    assert seen["finetune_schedule"] == "cosine" and seen["finetune_rate_decay"] == 0.5
    assert seen["label_smoothing"] == 0.1 and seen["class_weight"] == "balanced"
    assert seen["resume"] is False and seen["augmentation"] is None
    assert seen["model"] == "vgg16_finetune"


def test_tensorflow_start_up_lines_stay_off_the_console():
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    result = subprocess.run(
        [sys.executable, "-m", "foodvision", "models", "vgg*"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "vgg16_finetune" in result.stdout
    for noise in ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard"):
        assert noise not in result.stderr


def test_ensemble_saves_one_model_that_averages_the_files(tmp_path):
    import numpy as np
    from harness import tiny_random_cnn

    paths, members = [], []
    for k, classes in enumerate((list("abcd"), list("abcd"), list("abcx"))):
        model = tiny_random_cnn(size=16, seed=k)
        paths.append(
            str(fv.save_model(model, tmp_path / f"m{k}.keras", fv.describe_model(model, classes)))
        )
        members.append(model)
    result = run_cli("ensemble", *paths[:2], "--out", str(tmp_path / "both.keras"))
    assert result.returncode == 0, result.stderr
    assert "ensemble of 2 models" in result.stdout
    x = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3)).astype("float32")
    expected = np.mean([m.predict(x, verbose=0) for m in members[:2]], axis=0)
    ensemble = fv.load_model(tmp_path / "both.keras")
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    refused = run_cli("ensemble", *paths[1:], "--out", str(tmp_path / "no.keras"))
    assert refused.returncode == 2 and "class names" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    missing = run_cli("ensemble", paths[0], str(tmp_path / "gone.keras"), "--out", "x.keras")
    assert missing.returncode == 2 and "gone.keras" in missing.stderr
