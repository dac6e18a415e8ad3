"""ArraySplit: batches by row, streamed in full batches, padded for devices, fed to Keras."""

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


def test_a_stream_cuts_full_batches_from_consecutive_reshuffled_passes():
    labels = np.arange(11)
    split = ArraySplit(np.zeros((11, 1, 1, 3), np.uint8), labels, batch_size=4, shuffle=True)
    stream = split.replace(stream=True)
    seen = []
    for _ in range(4):  # 4 epochs of 3 batches of 4: 48 items, passes 0-4
        batches = [y for _, y in stream]
        assert [len(y) for y in batches] == [4, 4, 4]
        for y in batches:
            seen.extend(sorted(y.tolist()))  # a batch is read in row order
        stream.on_epoch_end()
    passes = [np.random.default_rng([0, k]).permutation(11) for k in range(5)]
    expected = np.concatenate(passes)[:48]
    for start in range(0, 48, 4):  # the same items, batch by batch
        assert seen[start : start + 4] == sorted(expected[start : start + 4].tolist())
    assert sorted(expected[:11].tolist()) == list(range(11))  # a pass holds every item
    # a stream of an evenly divided split is the plain split, epoch by epoch
    even = ArraySplit(np.zeros((8, 1, 1, 3), np.uint8), np.arange(8), batch_size=4, shuffle=True)
    plain_epoch = [y.tolist() for _, y in even]
    assert [y.tolist() for _, y in even.replace(stream=True)] == plain_epoch


def test_padding_weighs_every_item_once_for_the_devices():
    images = np.arange(11)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    split = ArraySplit(images, np.arange(11) % 3, batch_size=4, pad_to=2)
    batches = list(split)
    assert [len(y) for _, y, _ in batches] == [4, 4, 4]
    x, y, w = batches[-1]
    assert w.tolist() == [1, 1, 1, 0]
    assert x[3, 0, 0, 0] == x[0, 0, 0, 0] == 8 and y[3] == y[0]
    assert sum(w.sum() for _, _, w in batches) == 11


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
