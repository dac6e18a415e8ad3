import keras
import numpy as np
import pytest
from harness import tiny_image_data, tiny_model

import foodvision as fv
from foodvision.training import state
from foodvision.training.averaging import WeightAverage


class Recorder(keras.callbacks.Callback):
    """Copies of the weights at the end of every epoch, ``{1-based epoch: weights}``."""

    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = [w.copy() for w in self.model.get_weights()]


def mean_of(recorded, epochs):
    return [np.mean([recorded[e][i] for e in epochs], axis=0) for i in range(len(recorded[1]))]


def assert_weights_close(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def train(model, epochs, callbacks, directory=None):
    return fv.train(
        model,
        tiny_image_data(),
        epochs=epochs,
        learning_rate=0.02,
        seed=0,
        checkpoint_dir=directory,
        callbacks=callbacks,
        verbose=0,
    )


def test_average_is_the_mean_of_the_last_epochs_weights():
    model, recorder, average = tiny_model(), Recorder(), WeightAverage(first_epoch=3)
    train(model, 5, [recorder, average])
    assert not np.allclose(recorder.weights[3][0], recorder.weights[5][0])  # weights moved
    assert average.apply(model) == 3
    assert_weights_close(model.get_weights(), mean_of(recorder.weights, (3, 4, 5)))


def test_nothing_to_average_leaves_the_model_alone():
    model, average = tiny_model(), WeightAverage(first_epoch=9)
    train(model, 2, [average])
    before = model.get_weights()
    assert average.apply(model) == 0
    assert_weights_close(model.get_weights(), before)


def test_resumed_run_averages_the_same_epochs(tmp_path):
    recorder = Recorder()
    model = tiny_model()
    train(model, 3, [recorder, WeightAverage(2, tmp_path)], tmp_path)
    assert (tmp_path / state.AVERAGE_FILE).exists()
    # the run goes on to 5 epochs from its checkpoint, with a new callback object
    resumed = tiny_model()
    average = WeightAverage(2, tmp_path)
    train(resumed, 5, [recorder, average], tmp_path)
    assert sorted(recorder.weights) == [1, 2, 3, 4, 5]
    assert average.apply(resumed) == 4
    assert_weights_close(resumed.get_weights(), mean_of(recorder.weights, (2, 3, 4, 5)))
    # a finished run: the same call trains nothing and still gives the average
    again = tiny_model()
    train(again, 5, [], tmp_path)
    assert WeightAverage(2, tmp_path).apply(again) == 4
    assert_weights_close(again.get_weights(), resumed.get_weights())


def test_epoch_committed_but_not_averaged_is_caught_up(tmp_path):
    # a run killed after committing epoch 2 but before saving its average
    recorder, model = Recorder(), tiny_model()
    train(model, 2, [recorder], tmp_path)
    resumed = tiny_model()
    average = WeightAverage(2, tmp_path)
    train(resumed, 3, [recorder, average], tmp_path)
    assert average.epochs == [2, 3]
    average.apply(resumed)
    assert_weights_close(resumed.get_weights(), mean_of(recorder.weights, (2, 3)))


def test_an_average_that_cannot_match_the_run_is_an_error(tmp_path):
    train(tiny_model(), 3, [], tmp_path)  # three epochs committed, none averaged
    with pytest.raises(ValueError, match="start the run over"):
        WeightAverage(2, tmp_path).apply(tiny_model())


def test_an_average_from_another_first_epoch_is_an_error(tmp_path):
    train(tiny_model(), 2, [WeightAverage(1, tmp_path)], tmp_path)
    with pytest.raises(ValueError, match="starts at epoch 1, not at first_epoch=2"):
        WeightAverage(2, tmp_path).apply(tiny_model())


def test_starting_over_removes_the_average(tmp_path):
    train(tiny_model(), 2, [WeightAverage(1, tmp_path)], tmp_path)
    fv.train(tiny_model(), tiny_image_data(), 1, checkpoint_dir=tmp_path, resume=False, verbose=0)
    assert not (tmp_path / state.AVERAGE_FILE).exists()


def test_an_average_made_before_its_run_starts_over_keeps_only_the_new_epochs(tmp_path):
    train(tiny_model(), 2, [WeightAverage(1, tmp_path)], tmp_path)
    average = WeightAverage(1, tmp_path)  # made while the old run's average is saved
    recorder, model = Recorder(), tiny_model()
    fv.train(
        model,
        tiny_image_data(),
        1,
        checkpoint_dir=tmp_path,
        resume=False,
        callbacks=[recorder, average],
        verbose=0,
    )
    assert average.apply(model) == 1
    assert_weights_close(model.get_weights(), recorder.weights[1])
    with np.load(tmp_path / state.AVERAGE_FILE) as saved:
        assert list(saved["epochs"]) == [1]


@pytest.mark.parametrize("first_epoch", [0, -1, 1.5, True])
def test_bad_first_epoch(first_epoch):
    with pytest.raises(ValueError, match="first_epoch"):
        WeightAverage(first_epoch)
