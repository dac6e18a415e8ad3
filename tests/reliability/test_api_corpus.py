"""Wrong calls and bad model files at the Python API: one clear error each, raised early.

Every case names the error type and the words a user needs to fix the call. Checks that
need no network and no layers (the registry's) run before anything is built.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from harness import save_lambda_model, tiny_image_data, tiny_model

import foodvision as fv
from foodvision.predict import predict_files

BUILD_ERRORS = [
    (
        "unknown model",
        dict(name="vgg61"),
        ValueError,
        ["unknown model 'vgg61'", "did you mean 'vgg16_finetune'", "Available: "],
    ),
    (
        "misspelt option",
        dict(name="deeper_cnn", dropot=0.3),
        ValueError,
        ["unknown option(s) for model 'deeper_cnn'", "did you mean 'dropout'", "Accepted: "],
    ),
    (
        "option out of range",
        dict(name="deeper_cnn", dropout=1.5),
        ValueError,
        ["dropout must be a number in [0, 1)", "1.5"],
    ),
    (
        "option of the wrong type",
        dict(name="deeper_cnn", filters="many"),
        ValueError,
        ["filters must be an integer >= 1", "'many'"],
    ),
    (
        "trainable_blocks beyond the backbone",
        dict(name="vgg16_finetune", input_shape=(32, 32, 3), weights=None, trainable_blocks=9),
        ValueError,
        ["trainable_blocks must be in 0..5", "got 9"],
    ),
    (
        "unknown pooling",
        dict(name="vgg16_finetune", input_shape=(32, 32, 3), weights=None, pooling="max2"),
        ValueError,
        ["pooling must be one of", "'max2'"],
    ),
    (
        "one class",
        dict(name="baseline_cnn", num_classes=1),
        ValueError,
        ["num_classes must be an integer >= 2", "got 1"],
    ),
    (
        "num_classes as text",
        dict(name="baseline_cnn", num_classes="5"),
        ValueError,
        ["num_classes must be an integer >= 2", "'5'"],
    ),
    (
        "grayscale input shape",
        dict(name="baseline_cnn", input_shape=(64, 64, 1)),
        ValueError,
        ["input_shape must be (height, width, 3)", "models take RGB"],
    ),
    (
        "vgg16 at 16 px",
        dict(name="vgg16_finetune", input_shape=(16, 16, 3), weights=None),
        ValueError,
        ["too small for 'vgg16_finetune'", "at least 32"],
    ),
    (
        "deeper_cnn at 8 px",
        dict(name="deeper_cnn", input_shape=(8, 8, 3)),
        ValueError,
        ["too small for 'deeper_cnn'", "at least 16"],
    ),
    (
        "misspelt weights name",
        dict(name="vgg16_finetune", input_shape=(32, 32, 3), weights="imagnet"),
        FileNotFoundError,
        ["weights file not found: 'imagnet'", "weights='imagenet'", "weights=None"],
    ),
    (
        "weights of the wrong type",
        dict(name="vgg16_finetune", input_shape=(32, 32, 3), weights=3),
        TypeError,
        ["weights must be 'imagenet', None or a path"],
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [case[1:] for case in BUILD_ERRORS],
    ids=[case[0] for case in BUILD_ERRORS],
)
def test_bad_build_model_call_is_refused_before_building(monkeypatch, kwargs, error, words):
    def no_layers(*args, **kwargs):
        raise AssertionError("a layer was built before the arguments were checked")

    monkeypatch.setattr(keras.applications, "VGG16", no_layers)
    monkeypatch.setattr(keras.layers, "Conv2D", no_layers)
    kwargs = dict(kwargs)
    with pytest.raises(error) as info:
        fv.build_model(kwargs.pop("name"), **kwargs)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)


def test_train_refuses_a_model_built_for_another_number_of_classes():
    data = tiny_image_data(num_classes=3, per_class=4)
    model = tiny_model(num_classes=4)
    before = [keras.ops.convert_to_numpy(w).copy() for w in model.weights]
    with pytest.raises(ValueError) as info:
        fv.train(model, data, epochs=1)
    message = str(info.value)
    assert "the model predicts 4 classes but the data has 3" in message
    assert "class_0, class_1, class_2" in message and "num_classes=3" in message
    after = [keras.ops.convert_to_numpy(w) for w in model.weights]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))  # nothing was trained


# ---- weights files -------------------------------------------------------------------------

SMALL = (32, 32, 3)


@pytest.fixture(scope="module")
def other_weights(tmp_path_factory) -> Path:
    """Weights saved from a different (tiny) architecture."""
    path = tmp_path_factory.mktemp("weights") / "tiny_cnn.weights.h5"
    tiny_model().save_weights(path)
    return path


def test_weights_file_for_another_architecture_is_refused(other_weights):
    with pytest.raises(fv.WeightsMismatchError) as info:
        fv.build_model("vgg16_finetune", input_shape=SMALL, weights=other_weights)
    message = str(info.value)
    assert f"weights file {str(other_weights)!r} does not fit the vgg16 backbone" in message
    assert "4 arrays" in message  # what the file holds (tiny CNN: 2 kernels + 2 biases)
    assert "keras.applications (include_top=False)" in message and "weights=None" in message
    assert isinstance(info.value, ValueError)


def test_truncated_weights_file_is_refused(tmp_path, other_weights):
    data = other_weights.read_bytes()
    path = tmp_path / "truncated.weights.h5"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(fv.WeightsMismatchError) as info:
        fv.build_model("vgg16_finetune", input_shape=SMALL, weights=path)
    message = str(info.value)
    assert f"{str(path)!r} is not a readable HDF5 weights file" in message
    assert "truncated file" in message


# ---- .keras files --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("models")
    good = folder / "good.keras"
    tiny_model().save(good)
    data = good.read_bytes()
    files = {"good": good}
    for name, content in {
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "random": np.random.default_rng(0).bytes(2000),
        "text": b"just some text, not a model\n",
    }.items():
        files[name] = folder / f"{name}.keras"
        files[name].write_bytes(content)
    files["lambda"] = save_lambda_model(folder / "lambda.keras")
    return files


CORRUPT_MODELS = [
    ("empty", ["is empty (0 bytes)", "save the model again"]),
    ("truncated", ["is not a valid .keras archive", "truncated or corrupt", "model.save"]),
    ("random", ["is not a valid .keras archive", "truncated or corrupt"]),
    ("text", ["is not a valid .keras archive"]),
]


@pytest.mark.parametrize(("name", "words"), CORRUPT_MODELS, ids=[c[0] for c in CORRUPT_MODELS])
def test_corrupt_keras_file_is_a_clear_error(model_files, name, words):
    with pytest.raises(ValueError) as info:
        fv.load_model(model_files[name])
    message = str(info.value)
    assert str(model_files[name]) in message
    assert "File not found" not in message  # Keras's own words for a corrupt archive
    for word in words:
        assert word in message, (word, message)


def test_missing_keras_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="model file not found: .*nope.keras"):
        fv.load_model(tmp_path / "nope.keras")
    (tmp_path / "folder.keras").mkdir()
    with pytest.raises(FileNotFoundError, match="model file not found: .* is a folder"):
        fv.load_model(tmp_path / "folder.keras")
    (tmp_path / "model.h5").write_bytes(b"legacy")
    with pytest.raises(ValueError, match="'.*model.h5' is not a .keras file"):
        fv.load_model(tmp_path / "model.h5")


def test_lambda_layer_is_refused_in_safe_mode_with_the_reason(model_files):
    path = model_files["lambda"]
    for load in (lambda: fv.load_model(path), lambda: predict_files(path, ["x.png"])):
        with pytest.raises(ValueError) as info:
            load()
        message = str(info.value)
        assert f"refusing to load {str(path)!r} in safe mode" in message
        assert "Lambda layer" in message and "arbitrary code" in message
        assert "safe_mode=False only for a file you trust" in message
    # the refusal is safe mode's doing: the trusted path still works
    model = fv.load_model(path, safe_mode=False)
    assert model.output_shape == (None, 2)


def test_good_keras_file_still_loads(model_files):
    model = fv.load_model(model_files["good"])
    assert model.name == "tiny_cnn" and model.output_shape == (None, 3)
