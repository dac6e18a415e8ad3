"""Transfer models: preprocessing inside the model matches keras.applications, block
boundaries split the model, trainable_blocks freezes the right layers (batch norm in
inference mode)."""

import keras
import numpy as np
import pytest
from harness import raw_images, tiny_shape

import foodvision as fv

TRANSFER = fv.list_models("*_finetune")

# Independent of foodvision's own tables: the keras.applications constructor and the
# preprocess_input its documentation prescribes for raw RGB 0..255.
REFERENCES = {
    "vgg16_finetune": (keras.applications.VGG16, keras.applications.vgg16.preprocess_input),
    "resnet50_finetune": (
        keras.applications.ResNet50,
        keras.applications.resnet50.preprocess_input,
    ),
    "mobilenet_v2_finetune": (
        keras.applications.MobileNetV2,
        keras.applications.mobilenet_v2.preprocess_input,
    ),
    "mobilenet_v3_small_finetune": (
        keras.applications.MobileNetV3Small,
        keras.applications.mobilenet_v3.preprocess_input,
    ),
}


def test_every_transfer_model_has_a_reference_here():
    assert sorted(REFERENCES) == TRANSFER
    assert all(fv.get_model_spec(name).family == "transfer" for name in TRANSFER)


@pytest.mark.parametrize("name", TRANSFER)
def test_features_match_keras_preprocess_input_then_the_application(built_model, name):
    """No missing and no double preprocessing: raw 0..255 in, same features as Keras's
    documented ``preprocess_input`` + application with the same weights."""
    model = built_model(name)
    shape = tiny_shape(name)
    boundary = fv.get_model_spec(name).blocks[-1]
    constructor, preprocess_input = REFERENCES[name]
    reference = constructor(include_top=False, weights=None, input_shape=shape)
    for layer in reference.layers:
        if layer.weights:  # same explicit layer names in both
            layer.set_weights(model.get_layer(layer.name).get_weights())
    reference = keras.Model(reference.inputs, reference.get_layer(boundary).output)
    prefix, _ = fv.split_at(model, boundary)

    images = raw_images(4, shape, seed=3)
    expected = reference.predict(preprocess_input(images.astype("float32")), verbose=0)
    actual = prefix.predict(images, verbose=0)
    scale = np.abs(expected).max()
    assert scale > 0
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name", TRANSFER)
def test_every_block_boundary_splits_the_model(built_model, name):
    model = built_model(name)
    blocks = fv.get_model_spec(name).blocks
    assert fv.block_boundaries(model) == blocks
    for boundary in blocks:
        prefix, suffix = fv.split_at(model, boundary)
        assert tuple(prefix.output.shape) == tuple(model.get_layer(boundary).output.shape)
        assert tuple(suffix.output.shape) == tuple(model.output.shape)
        inner = {
            id(layer) for layer in suffix.layers if not isinstance(layer, keras.layers.InputLayer)
        }
        assert not inner & {id(layer) for layer in prefix.layers}
        assert model.get_layer("predictions") in suffix.layers  # shared, not copied


def test_suffix_of_prefix_equals_the_model_and_shares_its_weights(built_model):
    model = built_model("vgg16_finetune")
    images = raw_images(4, tiny_shape("vgg16_finetune"), seed=4)
    expected = model.predict(images, verbose=0)
    for boundary in ("block2_pool", "block4_pool"):
        prefix, suffix = fv.split_at(model, boundary)
        features = prefix.predict(images, verbose=0)
        np.testing.assert_allclose(suffix.predict(features, verbose=0), expected, atol=1e-6)
    kernel = model.get_layer("predictions").kernel
    assert suffix.get_layer("predictions").kernel is kernel


def test_training_the_suffix_on_cached_features_trains_the_model(built_model):
    """The use case: compute the frozen prefix once, train block 5 + head on its output."""
    model = built_model("vgg16_finetune")
    boundary = fv.frozen_boundary(model)
    assert boundary == "block4_pool"
    prefix, suffix = fv.split_at(model, boundary)
    images = raw_images(8, tiny_shape("vgg16_finetune"), seed=6)
    features = prefix.predict(images, verbose=0)  # the cache
    kernel = keras.ops.convert_to_numpy(model.get_layer("block5_conv3").kernel)
    suffix.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    suffix.fit(features, np.arange(8) % 7, batch_size=8, epochs=1, verbose=0)
    assert not np.array_equal(
        keras.ops.convert_to_numpy(model.get_layer("block5_conv3").kernel), kernel
    )
    np.testing.assert_allclose(
        model.predict(images, verbose=0), suffix.predict(features, verbose=0), atol=1e-6
    )


def test_split_inside_a_residual_block_or_at_an_unknown_layer_is_refused(built_model):
    model = built_model("resnet50_finetune")
    with pytest.raises(ValueError, match="block boundary.*conv4_block6_out"):
        fv.split_at(model, "conv5_block2_2_conv")
    with pytest.raises(ValueError, match="no layer 'block9_pool'"):
        fv.split_at(model, "block9_pool")


def test_trainable_blocks_freezes_bottom_blocks_and_batch_norm():
    model = fv.build_model(
        "resnet50_finetune", num_classes=3, input_shape=(32, 32, 3), weights=None
    )
    spec = fv.get_model_spec("resnet50_finetune")
    assert spec.hyperparameters["trainable_blocks"] == 1

    def trainable_layers():
        return {layer.name for layer in model.layers if layer.trainable_weights}

    head = {"head_dense", "predictions"}
    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bns and not any(layer.trainable for layer in bns)
    assert trainable_layers() - head == {
        layer.name for layer in model.layers if layer.name.startswith("conv5_") and layer.weights
    } - {layer.name for layer in bns}
    assert fv.frozen_boundary(model) == "conv4_block6_out"

    fv.set_trainable_blocks(model, 0)
    assert trainable_layers() == head
    assert fv.frozen_boundary(model) == "conv5_block3_out"

    fv.set_trainable_blocks(model, 5)
    assert trainable_layers() == {
        layer.name for layer in model.layers if layer.weights and layer not in bns
    }
    assert fv.frozen_boundary(model) is None

    fv.set_trainable_blocks(model, 2, train_batchnorm=True)
    assert (
        "conv4_block1_1_bn" in trainable_layers() and "conv3_block4_3_bn" not in trainable_layers()
    )
    assert fv.frozen_boundary(model) == "conv3_block4_out"
    with pytest.raises(ValueError, match=r"trainable_blocks must be in 0\.\.5"):
        fv.set_trainable_blocks(model, 6)


def test_block_rate_factors_fall_by_the_decay_per_block_below_the_top():
    model = fv.build_model("vgg16_finetune", num_classes=3, input_shape=(32, 32, 3), weights=None)
    factors = fv.block_rate_factors(model, 3, 0.5)
    # every layer of block 4 at a half, of block 3 at a quarter; block 5 and the head
    # (full rate) and blocks 1-2 (frozen) are not named
    expected = {
        layer.name: {"block4": 0.5, "block3": 0.25}[layer.name[:6]]
        for layer in model.layers
        if layer.name.startswith(("block3", "block4"))
    }
    assert factors == expected and "block3_conv1" in factors and "block4_pool" in factors
    assert fv.block_rate_factors(model, 3, 1.0) == {}
    assert fv.block_rate_factors(model, 1, 0.5) == {}
    everything = fv.block_rate_factors(model, 5, 0.5)
    assert everything["block1_conv1"] == 0.5**4 and everything["imagenet_preprocessing"] == 0.5**4
    for bad in (0.0, 1.5, True):
        with pytest.raises(ValueError, match=r"rate decay per block must be a number in \(0, 1\]"):
            fv.block_rate_factors(model, 2, bad)
    with pytest.raises(ValueError, match=r"trainable_blocks must be in 0\.\.5"):
        fv.block_rate_factors(model, 6, 0.5)


def test_frozen_backbone_runs_in_inference_mode_when_training():
    """A frozen prefix gives the same output in training and inference mode (batch norm
    uses its moving statistics), so its output can be cached."""
    model = fv.build_model(
        "mobilenet_v2_finetune", num_classes=3, input_shape=(32, 32, 3), weights=None
    )
    boundary = fv.frozen_boundary(model)
    assert boundary == "block_15_add"
    prefix, _ = fv.split_at(model, boundary)
    images = keras.ops.convert_to_tensor(raw_images(2, (32, 32, 3), seed=5))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(prefix(images, training=True)),
        keras.ops.convert_to_numpy(prefix(images, training=False)),
    )


def test_bad_transfer_options_fail_before_building(monkeypatch):
    def must_not_build(*args, **kwargs):
        raise AssertionError("the backbone was built before the arguments were checked")

    monkeypatch.setattr(keras.applications, "VGG16", must_not_build)
    with pytest.raises(ValueError, match=r"trainable_blocks must be in 0\.\.5"):
        fv.build_model("vgg16_finetune", input_shape=(32, 32, 3), weights=None, trainable_blocks=6)
    with pytest.raises(ValueError, match="at least 32"):
        fv.build_model("vgg16_finetune", input_shape=(31, 64, 3), weights=None)
    with pytest.raises(ValueError, match="pooling must be one of"):
        fv.build_model("vgg16_finetune", weights=None, pooling="mean")
    with pytest.raises(ValueError, match="dropout"):
        fv.build_model("vgg16_finetune", weights=None, dropout=1.0)
