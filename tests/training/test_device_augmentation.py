"""Augmentation inside the train step: compiled, resumable, mixing targets like images."""

import keras
import numpy as np
import pytest
from harness import tiny_image_data, tiny_model

import foodvision as fv
from foodvision.data import ImageData, make_array_dataset
from foodvision.training.device_augmentation import AugmentingModel


class Recorder(keras.callbacks.Callback):
    """What ``fit`` ran: the model it trained and whether its step was compiled."""

    def on_train_begin(self, logs=None):
        self.trained = self.model
        self.jit = bool(self.model.jit_compile)


def unshuffled(data):
    """The same data with a fixed batch order, so a resumed run sees what a whole run sees."""
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in data.train])
    train = make_array_dataset(np.concatenate(images), np.concatenate(labels), batch_size=8)
    return ImageData(**{**data.__dict__, "train": train})


def test_the_classifier_trains_in_a_compiled_step_and_is_saved_alone(tmp_path):
    data = tiny_image_data(size=16)
    model = tiny_model(size=16)
    recorder = Recorder()
    history = fv.train(
        model,
        data,
        epochs=2,
        augmentation="standard",
        augment_on="device",
        checkpoint_dir=tmp_path,
        callbacks=[recorder],
        verbose=0,
        seed=0,
    )
    assert isinstance(recorder.trained, AugmentingModel)
    if keras.backend.backend() == "jax":
        assert recorder.jit is True
    assert np.isfinite(history.history["loss"]).all()
    best = keras.saving.load_model(tmp_path / "best.keras", safe_mode=True)
    assert [type(layer) for layer in best.layers] == [type(layer) for layer in model.layers]
    assert best.count_params() == model.count_params()


def test_a_resumed_run_continues_the_same_random_draws(tmp_path):
    data = unshuffled(tiny_image_data(size=16))

    def run(directory, epochs, seed=0):
        model = tiny_model(size=16, seed=seed)
        fv.train(
            model,
            data,
            epochs=epochs,
            augmentation="standard",
            augment_on="device",
            checkpoint_dir=directory,
            verbose=0,
            seed=3,
        )
        return model.get_weights()

    whole = run(tmp_path / "whole", 3)
    run(tmp_path / "split", 1)
    resumed = run(tmp_path / "split", 3, seed=9)  # other initial weights: all from the backup
    for a, b in zip(whole, resumed):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_same_seed_same_history_on_the_device():
    def run():
        model = tiny_model(size=16, seed=1)
        data = tiny_image_data(size=16)
        return fv.train(
            model, data, epochs=2, augmentation="strong", augment_on="device", seed=5, verbose=0
        ).history

    first, second = run(), run()
    assert first["loss"] == second["loss"] and first["val_loss"] == second["val_loss"]


def test_mixed_images_are_scored_against_targets_mixed_the_same_way():
    model = tiny_model(num_classes=3, size=8)
    net = AugmentingModel(model, fv.augmentation("strong", seed=0), num_classes=3)
    net.compile(loss=keras.losses.CategoricalCrossentropy())
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]], "float32")
    labels = np.array([0, 2])
    keep, partner = np.array([0.75, 0.4], "float32"), np.array([1, 0])
    net._pending.mixes = [(keras.ops.convert_to_tensor(keep), keras.ops.convert_to_tensor(partner))]
    loss = net.compute_loss(y=keras.ops.convert_to_tensor(labels), y_pred=probabilities)
    one_hot = np.eye(3)[labels]
    targets = keep[:, None] * one_hot + (1 - keep[:, None]) * one_hot[partner]
    expected = -(targets * np.log(probabilities)).sum(axis=1).mean()
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loss)), expected, rtol=1e-5)
    # validation batches (nothing pending) are scored on their own one-hot labels
    loss = net.compute_loss(y=keras.ops.convert_to_tensor(labels), y_pred=probabilities)
    expected = -np.log(probabilities[[0, 1], labels]).mean()
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loss)), expected, rtol=1e-5)


def test_keras_layers_cannot_be_asked_to_run_on_the_device():
    data = tiny_image_data(size=16)
    aug = fv.augmentation([keras.layers.RandomRotation(0.1)])
    with pytest.raises(ValueError, match="augment_on='device' needs foodvision's"):
        fv.train(tiny_model(size=16), data, epochs=1, augmentation=aug, augment_on="device")
    with pytest.raises(ValueError, match="augment_on must be one of"):
        fv.train(tiny_model(size=16), data, epochs=1, augmentation="light", augment_on="gpu")
