"""Pretrained weights: local file, $FOODVISION_WEIGHTS_DIR, Keras download, clear errors.

The VGG16 tests use the real ImageNet file (``weights_dir`` fixture)."""

import h5py
import keras
import keras.src.utils.file_utils as keras_file_utils
import numpy as np
import pytest

import foodvision as fv
from foodvision.models.weights import WeightsSource, imagenet_filename

VGG_FILE = "vgg16_imagenet_notop.weights.h5"
SHAPE = (32, 32, 3)


@pytest.fixture
def vgg_file(weights_dir):
    path = weights_dir / VGG_FILE
    if not path.is_file():
        pytest.fail(f"{path} missing from the weights directory")
    return path


def file_arrays(path):
    """{layer name: [kernel, bias]} read straight from the .weights.h5 file."""
    arrays = {}
    with h5py.File(path, "r") as f:
        for group in f["layers"].values():
            variables = group["vars"]
            if len(variables):
                arrays[variables.attrs["name"]] = [variables[str(i)][()] for i in range(2)]
    return arrays


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    """A Keras download that fails the way it does without network."""

    def fail(fname=None, origin=None, **kwargs):
        raise Exception(f"URL fetch failure on {origin}: None -- [Errno -3] name resolution")

    return fail


def test_resolve_weights_sources(tmp_path, monkeypatch, vgg_file):
    monkeypatch.delenv(fv.WEIGHTS_DIR_ENV, raising=False)
    assert fv.resolve_weights(None, "vgg16") == WeightsSource("none", "vgg16")
    assert fv.resolve_weights("imagenet", "vgg16") == WeightsSource("keras", "vgg16")
    monkeypatch.setenv(fv.WEIGHTS_DIR_ENV, str(tmp_path))  # no file there
    assert fv.resolve_weights("imagenet", "vgg16").kind == "keras"
    monkeypatch.setenv(fv.WEIGHTS_DIR_ENV, str(vgg_file.parent))
    assert fv.resolve_weights("imagenet", "vgg16") == WeightsSource("file", "vgg16", vgg_file)
    assert fv.resolve_weights(str(vgg_file), "vgg16") == WeightsSource("file", "vgg16", vgg_file)
    assert imagenet_filename("resnet50") == "resnet50_imagenet_notop.weights.h5"


def test_vgg16_from_the_file_has_exactly_its_conv_kernels(vgg_file):
    model = fv.build_model("vgg16_finetune", num_classes=5, input_shape=SHAPE, weights=vgg_file)
    arrays = file_arrays(vgg_file)
    assert len(arrays) == 13
    for name, (kernel, bias) in arrays.items():
        layer = model.get_layer(name)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.kernel), kernel)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.bias), bias)


def test_imagenet_is_read_from_the_weights_dir(vgg_file, monkeypatch):
    monkeypatch.setenv(fv.WEIGHTS_DIR_ENV, str(vgg_file.parent))
    model = fv.build_model("vgg16_finetune", num_classes=5, input_shape=SHAPE, weights="imagenet")
    kernel, _ = file_arrays(vgg_file)["block5_conv3"]
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.get_layer("block5_conv3").kernel), kernel
    )


def test_frozen_vgg16_reproduces_keras_preprocess_input_and_vgg16(vgg_file):
    model = fv.build_model(
        "vgg16_finetune", num_classes=5, input_shape=SHAPE, weights=vgg_file, trainable_blocks=0
    )
    trainable = {w.path.split("/")[0] for w in model.trainable_weights}
    assert trainable == {"head_dense", "predictions"}
    assert fv.frozen_boundary(model) == "block5_pool"

    reference = keras.applications.VGG16(
        weights=str(vgg_file), include_top=False, input_shape=SHAPE
    )
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, *SHAPE)).astype("uint8")
    expected = reference.predict(
        keras.applications.vgg16.preprocess_input(images.astype("float32")), verbose=0
    )
    prefix, _ = fv.split_at(model, "block5_pool")
    features = prefix.predict(images, verbose=0)  # raw 0..255, no preprocessing outside
    assert np.abs(expected).max() > 1
    np.testing.assert_allclose(features, expected, rtol=0, atol=1e-4)


def test_offline_without_a_local_file_names_the_file_and_the_variable(
    tmp_path, monkeypatch, offline
):
    monkeypatch.setenv(fv.WEIGHTS_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(keras_file_utils, "get_file", offline)
    with pytest.raises(fv.WeightsUnavailableError) as info:
        fv.build_model("vgg16_finetune", input_shape=SHAPE, weights="imagenet")
    message = str(info.value)
    assert VGG_FILE in message and fv.WEIGHTS_DIR_ENV in message and str(tmp_path) in message
    assert "URL fetch failure" in message and "weights=None" in message
    assert isinstance(info.value.__cause__, Exception)
    assert isinstance(info.value, OSError)

    monkeypatch.delenv(fv.WEIGHTS_DIR_ENV)
    with pytest.raises(fv.WeightsUnavailableError, match=f"{fv.WEIGHTS_DIR_ENV} is not set"):
        fv.build_model("vgg16_finetune", input_shape=SHAPE, weights="imagenet")


def test_a_file_for_another_architecture_is_a_clear_error(vgg_file):
    with pytest.raises(fv.WeightsMismatchError) as info:
        fv.build_model("resnet50_finetune", input_shape=SHAPE, weights=vgg_file)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "does not fit the resnet50 backbone" in message
    assert "26 arrays (14,714,688 values)" in message and str(vgg_file) in message
    assert len(message) < 600  # one sentence, not a dump of shapes


def test_a_corrupt_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.weights.h5"
    path.write_bytes(b"this is not HDF5")
    with pytest.raises(fv.WeightsMismatchError, match="not a readable HDF5 weights file"):
        fv.build_model("vgg16_finetune", input_shape=SHAPE, weights=path)


def test_bad_weights_arguments_fail_before_building(tmp_path, monkeypatch):
    monkeypatch.setattr(keras.applications, "VGG16", lambda *a, **k: pytest.fail("built"))
    missing = tmp_path / "nope.weights.h5"
    with pytest.raises(FileNotFoundError, match="nope.weights.h5"):
        fv.build_model("vgg16_finetune", input_shape=SHAPE, weights=missing)
    with pytest.raises(FileNotFoundError, match="'imagnet'"):
        fv.build_model("vgg16_finetune", input_shape=SHAPE, weights="imagnet")
    other = tmp_path / "vgg.npz"
    other.write_bytes(b"")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        fv.build_model("vgg16_finetune", input_shape=SHAPE, weights=other)
    with pytest.raises(TypeError, match="weights must be"):
        fv.build_model("vgg16_finetune", input_shape=SHAPE, weights=3)


def reference_weights(model):
    return {
        layer.name: [keras.ops.convert_to_numpy(w) for w in layer.weights]
        for layer in model.layers
        if layer.weights
    }


@pytest.mark.parametrize("legacy", [False, True], ids=["weights.h5", "legacy-h5"])
def test_a_file_saved_from_keras_applications_loads_into_a_backbone(tmp_path, legacy):
    """MobileNetV3 brings its own Rescaling layer; the file must still line up."""
    keras.utils.set_random_seed(1)
    source = keras.applications.MobileNetV3Small(include_top=False, weights=None, input_shape=SHAPE)
    if legacy:  # Keras 2 layout, as keras.applications downloads
        from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

        path = tmp_path / "mobilenet_v3_small.h5"
        with h5py.File(path, "w") as f:
            save_weights_to_hdf5_group(f, source)
    else:
        path = tmp_path / "mobilenet_v3_small_imagenet_notop.weights.h5"
        source.save_weights(path)
    model = fv.build_model(
        "mobilenet_v3_small_finetune", num_classes=3, input_shape=SHAPE, weights=path
    )
    loaded = reference_weights(model)
    for name, arrays in reference_weights(source).items():
        for got, want in zip(loaded[name], arrays):
            np.testing.assert_array_equal(got, want, err_msg=name)
