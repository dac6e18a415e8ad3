import json
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from harness import tiny_image_data, tiny_model

import foodvision as fv
from foodvision.training import state

HERE = Path(__file__).parent


def test_loss_goes_down_and_model_learns():
    data = tiny_image_data()
    model = tiny_model()
    history = fv.train(model, data, epochs=15, learning_rate=0.02, seed=0, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0]
    assert history.history["val_accuracy"][-1] >= 0.9
    assert model.optimizer is not None and model.loss is not None


def test_label_mixing_augmentation_validates_on_one_hot_labels():
    data = tiny_image_data(per_class=8, size=16)
    model = tiny_model(size=16)
    history = fv.train(model, data, epochs=1, augmentation="strong", verbose=0)
    assert 0 <= history.history["val_accuracy"][0] <= 1
    assert np.isfinite(history.history["val_loss"][0])


def test_same_seed_same_history():
    runs = []
    for _ in range(2):
        model = tiny_model(dropout=0.3, seed=1)
        runs.append(fv.train(model, tiny_image_data(), epochs=3, seed=5, verbose=0).history)
    assert runs[0]["loss"] == runs[1]["loss"]
    assert runs[0]["val_accuracy"] == runs[1]["val_accuracy"]


def test_checkpoint_dir_files_and_history(tmp_path):
    history = fv.train(
        tiny_model(), tiny_image_data(), epochs=3, checkpoint_dir=tmp_path, verbose=0
    )
    assert history.epoch == [0, 1, 2]
    rows = state.read_history(tmp_path, 99)
    assert [r["epoch"] for r in rows] == [0, 1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(rows[0])
    best = keras.saving.load_model(tmp_path / "best.keras", safe_mode=True)
    assert best.output_shape == (None, 3)
    latest = json.loads((tmp_path / "backup" / "latest.json").read_text())
    assert latest["epoch"] == 3
    assert latest["best"] == max(r["val_accuracy"] for r in rows)
    # the same call again finds the run finished and trains nothing more
    again = fv.train(tiny_model(), tiny_image_data(), epochs=3, checkpoint_dir=tmp_path, verbose=0)
    assert again.epoch == [0, 1, 2]


def test_resume_restores_weights_and_optimizer(tmp_path):
    data = tiny_image_data()
    model = tiny_model()
    fv.train(model, data, epochs=2, checkpoint_dir=tmp_path, learning_rate=0.01, verbose=0)
    restored = tiny_model(seed=9)  # different initial weights
    fv.train(restored, data, epochs=2, checkpoint_dir=tmp_path, learning_rate=0.01, verbose=0)
    for a, b in zip(model.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))
    assert int(restored.optimizer.iterations.numpy()) == 2 * 6


def test_kill_after_epoch_two_then_resume(tmp_path):
    directory = tmp_path / "run"
    script = [sys.executable, str(HERE / "resume_script.py"), str(directory), "5"]
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax")}
    killed = subprocess.run([*script, "2"], capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == -9, killed.stderr
    finished = subprocess.run(script, capture_output=True, text=True, env=env, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert (tmp_path / "epochs_run.txt").read_text().split() == ["0", "1", "2", "3", "4"]
    rows = state.read_history(directory, 99)
    assert [r["epoch"] for r in rows] == [0, 1, 2, 3, 4]
    model = keras.saving.load_model(directory / "best.keras", safe_mode=True)
    assert model.count_params() > 0


def test_nan_loss_is_a_clear_error_and_nothing_is_saved(tmp_path):
    data = tiny_image_data()
    model = tiny_model()
    dense = model.layers[-1]
    dense.kernel.assign(np.full(dense.kernel.shape, np.nan, dtype="float32"))
    with pytest.raises(FloatingPointError, match=r"nan in epoch 1;.*lower learning_rate"):
        fv.train(model, data, epochs=3, checkpoint_dir=tmp_path, verbose=0)
    assert not (tmp_path / "backup" / "latest.json").exists()
    assert not (tmp_path / "history.csv").exists()


def test_bad_arguments_fail_before_training(tmp_path):
    data = tiny_image_data()
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        fv.train(tiny_model(), data, epochs=0)
    with pytest.raises(ValueError, match="predicts 4 classes but the data has 3"):
        fv.train(tiny_model(num_classes=4), data, epochs=1)
    with pytest.raises(ValueError, match="unknown schedule"):
        fv.train(tiny_model(), data, epochs=1, schedule="linear")
    with pytest.raises(ValueError, match="unknown optimizer"):
        fv.train(tiny_model(), data, epochs=1, optimizer="adamax2")
    empty = type(data)(
        train=data.train,
        val=None,
        test=None,
        class_names=data.class_names,
        counts={"train": {}},
        source="empty",
    )
    with pytest.raises(ValueError, match="training split of empty is empty"):
        fv.train(tiny_model(), empty, epochs=1)


def test_checkpoint_dir_of_another_model_is_refused(tmp_path):
    fv.train(tiny_model(), tiny_image_data(), epochs=1, checkpoint_dir=tmp_path, verbose=0)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    other = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    with pytest.raises(ValueError, match="holds a run of a different model"):
        fv.train(other, tiny_image_data(), epochs=2, checkpoint_dir=tmp_path, verbose=0)
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert before == after
    fv.train(other, tiny_image_data(), epochs=1, checkpoint_dir=tmp_path, resume=False, verbose=0)
    assert json.loads((tmp_path / "run.json").read_text())["name"] == other.name


def test_labels_out_of_range_are_named():
    data = tiny_image_data(num_classes=3)
    model = tiny_model(num_classes=2)
    bad = type(data)(
        train=data.train,
        val=None,
        test=None,
        class_names=("a", "b"),
        counts={"train": {"a": 1}},
        batch_size=8,
        source="bad labels",
    )
    with pytest.raises(Exception, match="label out of range"):
        fv.train(model, bad, epochs=1, verbose=0)


def test_loaders_check_labels_once_so_training_skips_the_per_batch_check(monkeypatch):
    from foodvision.data.sources import check_class_indices
    from foodvision.training import fit

    data = fv.load_synthetic(image_size=(32, 32), train_per_class=4, val_per_class=2)
    assert data.labels_checked and not tiny_image_data().labels_checked
    calls = []
    monkeypatch.setattr(fit, "_checked_labels", lambda ds, n: calls.append(n) or ds)
    fit.training_datasets(data, None, 0)
    assert calls == []  # checked at load time
    fit.training_datasets(tiny_image_data(), None, 0)
    assert calls == [3, 3]  # data built by hand: train and val checked per batch
    with pytest.raises(ValueError, match="label 5 is not a class index in 0..4"):
        check_class_indices([0, 5], 5, "train")
    with pytest.raises(ValueError, match="integer class indices"):
        check_class_indices([0.5], 5)


def test_cosine_schedule_warms_up_then_decays(tmp_path):
    history = fv.train(
        tiny_model(),
        tiny_image_data(),
        epochs=6,
        schedule="cosine",
        warmup_epochs=2,
        learning_rate=0.01,
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    rates = history.history["learning_rate"]
    assert rates[0] < rates[1] and rates[1] >= max(rates[2:])
    assert rates[-1] < 0.002 and all(math.isfinite(r) for r in rates)


def test_early_stopping_restores_best_and_finishes(tmp_path):
    data = tiny_image_data()
    model = tiny_model()
    history = fv.train(
        model,
        data,
        epochs=40,
        learning_rate=0.05,
        early_stopping=2,
        monitor="val_accuracy",
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    assert len(history.epoch) < 40
    latest = json.loads((tmp_path / "backup" / "latest.json").read_text())
    assert latest["stopped_early"] is True
    best = keras.saving.load_model(tmp_path / "best.keras", safe_mode=True)
    for a, b in zip(model.weights, best.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def tensorboard_scalars(folder: Path) -> set[tuple[str, int]]:
    """``(tag, step)`` of every scalar in the TensorBoard event files under ``folder``."""
    import tensorflow as tf

    return {
        (value.tag, event.step)
        for path in folder.rglob("events.out.tfevents.*")
        for event in tf.compat.v1.train.summary_iterator(str(path))
        for value in event.summary.value
    }


def test_tensorboard_logs_one_point_per_epoch_across_a_resume(tmp_path):
    logs, checkpoint = tmp_path / "logs", tmp_path / "run"
    data = tiny_image_data()
    fv.train(tiny_model(), data, 2, checkpoint_dir=checkpoint, tensorboard=logs, verbose=0)
    fv.train(tiny_model(), data, 3, checkpoint_dir=checkpoint, tensorboard=logs, verbose=0)
    assert {p.name for p in logs.iterdir()} == {"train", "validation"}
    train_points = tensorboard_scalars(logs / "train")
    assert {("epoch_loss", e) for e in (0, 1, 2)} <= train_points
    assert {("epoch_accuracy", e) for e in (0, 1, 2)} <= train_points
    assert ("epoch_loss", 3) not in train_points
    assert ("epoch_accuracy", 2) in tensorboard_scalars(logs / "validation")


def test_arrays_in_memory_train_with_a_batch_size_and_validation():
    data = tiny_image_data()
    images, labels = (np.concatenate(part) for part in zip(*[(x, y) for x, y in data.train]))
    val = tuple(np.concatenate(part) for part in zip(*[(x, y) for x, y in data.val]))
    model = tiny_model()
    history = fv.train(
        model,
        (images, labels),
        epochs=12,
        batch_size=8,
        validation_data=val,
        learning_rate=0.02,
        seed=0,
        verbose=0,
    )
    assert history.history["val_accuracy"][-1] >= 0.9
    with pytest.raises(ValueError, match="label 7 is not a class index"):
        fv.train(tiny_model(), (images, np.full(len(images), 7)), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="batch_size and validation_data go with"):
        fv.train(tiny_model(), data, epochs=1, batch_size=8, verbose=0)


def test_weight_decay_shrinks_every_weight_by_rate_times_decay_per_step():
    data = tiny_image_data(per_class=16, batch_size=8)  # 48 images: 6 steps per epoch
    norms = {}
    for decay in (0.0, 40.0):
        model = tiny_model(seed=0)
        fv.train(model, data, epochs=2, learning_rate=1e-3, weight_decay=decay, seed=0, verbose=0)
        norms[decay] = float(np.linalg.norm(model.layers[-1].kernel.numpy()))
    # decoupled decay: w <- w - rate * decay * w at each of the 12 steps, apart from Adam's
    # step (at most the rate per weight, small against these weights)
    expected = (1 - 1e-3 * 40.0) ** 12
    assert norms[40.0] / norms[0.0] == pytest.approx(expected, rel=0.15)
    with pytest.raises(ValueError, match="weight_decay must be a number >= 0"):
        fv.train(tiny_model(), data, epochs=1, weight_decay=-0.1)
