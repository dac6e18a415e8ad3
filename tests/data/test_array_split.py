"""ArraySplit: batches by row, trimmed for devices, fed to Keras."""

import keras
import numpy as np
import pytest

from foodvision.data.array_split import ArraySplit, is_tf_dataset, numpy_batches


def test_rows_pick_images_of_a_shared_store_in_order():
    store = np.arange(10)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    split = ArraySplit(store, [1, 0, 1], rows=[7, 2, 5], batch_size=2)
    batches = list(split)
    assert [b[0][:, 0, 0, 0].tolist() for b in batches] == [[7, 2], [5]]
    assert [b[1].tolist() for b in batches] == [[1, 0], [1]]
    with pytest.raises(ValueError, match="rows must index"):
        ArraySplit(store, [0], rows=[10])
    with pytest.raises(IndexError):
        split[2]


def test_batches_trimmed_to_a_multiple_of_the_devices():
    split = ArraySplit(np.zeros((11, 2, 2, 3), np.uint8), np.zeros(11), batch_size=4)
    assert [len(y) for _, y in split.divisible(2)] == [4, 4, 2]
    assert [len(y) for _, y in split.divisible(4)] == [4, 4]  # the tail of 3 is left out


def test_keras_trains_on_it_and_the_tools_tell_it_from_tf_data():
    images = np.random.default_rng(0).integers(0, 256, (12, 4, 4, 3)).astype("uint8")
    split = ArraySplit(images, np.arange(12) % 2, batch_size=4, shuffle=True)
    model = keras.Sequential(
        [keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(split, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert split.epoch >= 2  # Keras ends an epoch of the split after each epoch (and at setup)
    assert not is_tf_dataset(split)
    assert [len(y) for _, y in numpy_batches(split)] == [4, 4, 4]
