"""What a run leaves and how it trains by default: model.keras, transfer safety, resume."""

import json

import keras
import numpy as np
import pytest
from harness import tiny_image_data, tiny_model

import foodvision as fv
from foodvision.layers import SmoothedSparseCrossentropy
from foodvision.training.fit import model_augmentation, resolve_class_weight

X = np.random.default_rng(1).uniform(0, 255, (4, 32, 32, 3)).astype("float32")


def vgg(seed=0):
    keras.utils.set_random_seed(seed)
    return fv.build_model(
        "vgg16_finetune", num_classes=3, input_shape=(32, 32, 3), weights=None, dropout=0.0
    )


def test_train_writes_the_model_it_returns_with_its_facts(tmp_path):
    data = tiny_image_data()
    model = tiny_model()
    fv.train(model, data, epochs=2, checkpoint_dir=tmp_path, learning_rate=0.01, verbose=0)
    saved = fv.load_model(tmp_path / "model.keras")
    x = X[:, :8, :8]
    np.testing.assert_allclose(saved.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)
    facts = fv.model_facts(saved)
    assert facts.class_names == data.class_names and facts.image_size == (8, 8)
    assert facts.trained_on == {"source": "tiny test arrays", "train_images": 48, "val_images": 12}
    assert facts.training["epochs"] == 2 and facts.training["learning_rate"] == 0.01
    assert set(facts.metrics) == {"best_val_accuracy", "best_epoch"}
    assert (tmp_path / "model_card.md").is_file()


def test_fine_tune_saves_the_whole_model_on_images(tmp_path):
    data = tiny_image_data(per_class=8, size=32, batch_size=8)
    model = vgg()
    fv.fine_tune(
        model,
        data,
        head_epochs=1,
        finetune_epochs=2,
        finetune_average_epochs=2,
        checkpoint_dir=tmp_path,
        verbose=0,
    )
    assert not (tmp_path / "head" / "model.keras").exists()  # no suffix models
    saved = fv.load_model(tmp_path / "model.keras")
    assert saved.input_shape == (None, 32, 32, 3)  # photos in, not cached features
    # the weight average the result reports, not the last or best epoch
    np.testing.assert_allclose(saved.predict_on_batch(X), model.predict_on_batch(X), atol=1e-5)
    facts = fv.model_facts(saved)
    assert facts.model == "vgg16_finetune" and facts.training["averaged_epochs"] == 2
    assert facts.training["head_epochs"] == 1 and facts.training["finetune_epochs"] == 2


def test_a_transfer_model_trains_with_its_backbone_frozen_and_says_so(capsys):
    data = tiny_image_data(per_class=4, size=32, batch_size=8)
    model = vgg()
    before = {v.path: np.array(v.numpy()) for v in model.weights}
    fv.train(model, data, epochs=1, verbose=0)
    assert "training the head only, with its pretrained backbone frozen" in capsys.readouterr().err
    for variable in model.weights:
        if variable.path.startswith("block"):
            np.testing.assert_array_equal(before[variable.path], variable.numpy())
    head = model.get_layer("predictions").kernel
    assert not np.array_equal(before[head.path], head.numpy())
    unfrozen = vgg()
    fv.set_trainable_blocks(unfrozen, 1)
    fv.train(unfrozen, data, epochs=1, verbose=0, freeze_backbone=False)
    assert unfrozen.get_layer("block5_conv3").trainable


def test_auto_augmentation_comes_from_the_model_spec():
    assert model_augmentation(fv.build_model("augmented_cnn", num_classes=2), "auto") == "standard"
    assert model_augmentation(fv.build_model("deeper_cnn", num_classes=2), "auto") is None
    assert model_augmentation(tiny_model(), "auto") is None
    assert model_augmentation(tiny_model(), "light") == "light"


def test_balanced_class_weight_follows_scikit_learn_and_reaches_the_loss():
    data = tiny_image_data()
    data.counts["train"] = {"class_0": 30, "class_1": 10, "class_2": 8}
    weights = resolve_class_weight("balanced", data)
    assert weights == pytest.approx({0: 48 / 90, 1: 48 / 30, 2: 48 / 24})
    with pytest.raises(ValueError, match="'balanced'"):
        resolve_class_weight("uniform", data)
    # a weight of zero on every class but one: only that class's images move the loss
    only = {0: 1.0, 1: 0.0, 2: 0.0}
    model = tiny_model()
    history = fv.train(model, tiny_image_data(), epochs=1, class_weight=only, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_label_smoothing_loss_equals_keras_on_one_hot_targets():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(4), size=6).astype("float32")
    labels = rng.integers(0, 4, 6)
    ours = SmoothedSparseCrossentropy(0.2)(labels, probabilities)
    keras_loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.2)(
        np.eye(4)[labels], probabilities
    )
    np.testing.assert_allclose(float(ours), float(keras_loss), rtol=1e-6)
    model = tiny_model()
    fv.train(model, tiny_image_data(), epochs=1, label_smoothing=0.1, verbose=0)
    assert isinstance(model.loss, SmoothedSparseCrossentropy)
    assert model.loss.label_smoothing == 0.1


def test_resume_matches_variables_by_path_not_position(tmp_path):
    data = tiny_image_data()
    first = tiny_model()
    fv.train(first, data, epochs=2, checkpoint_dir=tmp_path, learning_rate=0.01, verbose=0)
    backup = tmp_path / "backup"
    latest = json.loads((backup / "latest.json").read_text())
    with np.load(backup / latest["state"]) as arrays:
        stored = {f"v{i}": arrays[f"v{i}"] for i in range(len(arrays.files))}
    order = list(reversed(range(len(stored))))  # store the variables in another order
    np.savez(backup / latest["state"], **{f"v{j}": stored[f"v{i}"] for j, i in enumerate(order)})
    latest["paths"] = [latest["paths"][i] for i in order]
    (backup / "latest.json").write_text(json.dumps(latest))
    restored = tiny_model(seed=5)  # another process would number the optimizer anew
    fv.train(restored, data, epochs=2, checkpoint_dir=tmp_path, learning_rate=0.01, verbose=0)
    for a, b in zip(first.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    latest["paths"][0] = "somewhere/else"
    (backup / "latest.json").write_text(json.dumps(latest))
    with pytest.raises(ValueError, match="does not match the model and optimizer"):
        fv.train(tiny_model(), data, epochs=2, learning_rate=0.01, checkpoint_dir=tmp_path)


def test_calling_a_finished_early_stopped_run_again_returns_the_same_weights(tmp_path):
    data = tiny_image_data()
    options = dict(epochs=40, learning_rate=0.05, early_stopping=2, checkpoint_dir=tmp_path)
    model = tiny_model()
    fv.train(model, data, verbose=0, **options)
    again = tiny_model(seed=3)
    fv.train(again, data, verbose=0, **options)
    for a, b in zip(model.weights, again.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def test_resuming_with_changed_settings_says_what_changed_or_starts_over(tmp_path, capsys):
    data = tiny_image_data()
    fv.train(tiny_model(), data, epochs=2, checkpoint_dir=tmp_path, verbose=0)
    changed = r"learning_rate: 0\.001 -> 0\.01\); .*on_change='restart'"
    with pytest.raises(ValueError, match=changed):
        fv.train(tiny_model(), data, epochs=3, learning_rate=0.01, checkpoint_dir=tmp_path)
    history = fv.train(tiny_model(), data, epochs=3, checkpoint_dir=tmp_path, verbose=0)
    assert len(history.epoch) == 3  # more epochs of a constant schedule: it resumes
    with pytest.raises(ValueError, match="epochs: 3 -> 4"):
        fv.train(tiny_model(), data, epochs=4, schedule="cosine", checkpoint_dir=tmp_path)
    capsys.readouterr()
    history = fv.train(
        tiny_model(),
        data,
        epochs=2,
        augmentation="light",
        checkpoint_dir=tmp_path,
        on_change="restart",
        verbose=0,
    )
    assert "augmentation: 'none' -> 'light'" in capsys.readouterr().err
    assert (
        len(history.epoch) == 2
        and json.loads((tmp_path / "settings.json").read_text())["augmentation"] == "light"
    )


def test_a_model_without_a_fixed_input_trains_and_only_skips_its_model_file(tmp_path, capsys):
    inputs = keras.Input((None, None, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Rescaling(1 / 255)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    history = fv.train(model, tiny_image_data(), epochs=1, checkpoint_dir=tmp_path, verbose=0)
    assert len(history.epoch) == 1 and (tmp_path / "best.keras").exists()
    assert not (tmp_path / "model.keras").exists()
    assert "no model.keras written: the model has no fixed" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        fv.train(tiny_model(), tiny_image_data(), epochs=1, label_smoothing=1.5)
    with pytest.raises(ValueError, match="on_change must be one of error, restart"):
        fv.train(tiny_model(), tiny_image_data(), epochs=1, on_change="restat")
