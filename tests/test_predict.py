"""``fv.predict_files``: files in, ranked class names out, bad files skipped with a reason."""

import keras
import numpy as np
import pytest
from harness import tiny_model, write_image

import foodvision as fv


def flexible_model(num_classes=3):
    """A model without a fixed input size (global pooling after a convolution)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(2, 3, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def test_ranked_predictions_match_the_model_on_the_resized_image(tmp_path):
    model = tiny_model(num_classes=3, size=8)
    image = np.full((8, 8, 3), 90, np.uint8)
    path = write_image(tmp_path / "plate.png", image)
    (tmp_path / "empty.jpg").write_bytes(b"")
    names = ["a", "b", "c"]
    results = fv.predict_files(model, [str(path), str(tmp_path / "empty.jpg")], class_names=names)
    expected = np.asarray(model.predict_on_batch(image[None].astype("float32")))[0]
    ranked = results[0][1]
    assert [name for name, _ in ranked] == [names[i] for i in np.argsort(-expected)]
    np.testing.assert_allclose([p for _, p in ranked], np.sort(expected)[::-1], rtol=1e-5)
    assert results[1][1].startswith("empty file")


def test_image_size_resizes_for_a_flexible_model_and_must_fit_a_fixed_one(tmp_path):
    path = write_image(tmp_path / "plate.png", np.full((40, 60, 3), 200, np.uint8))
    model = flexible_model()
    with pytest.raises(ValueError, match="does not fix its input size; pass image_size"):
        fv.predict_files(model, [str(path)])
    seen = []
    for size in ((8, 8), (40, 60)):
        [(_, ranked)] = fv.predict_files(model, [str(path)], image_size=size, top_k=3)
        # a uniform image stays uniform when resized; the zero padding at its borders
        # makes the outputs depend on the size the model sees
        uniform = np.full((1, *size, 3), 200, np.float32)
        expected = np.sort(np.asarray(model.predict_on_batch(uniform))[0])[::-1]
        np.testing.assert_allclose([p for _, p in ranked], expected, rtol=1e-5)
        seen.append(expected)
    assert np.abs(seen[0] - seen[1]).max() > 1e-4
    with pytest.raises(ValueError, match=r"differs from the model's input size \(8, 8\)"):
        fv.predict_files(tiny_model(size=8), [str(path)], image_size=(16, 16))
