"""The CNNs of steps 1-4: options reach the layers, tuned_cnn is step 3's deeper_cnn with
other plain options, and preprocessing is inside the model."""

import keras
import numpy as np
import pytest
from harness import raw_images

import foodvision as fv


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]


def architecture(model):
    """Layer classes and configs without names: equal for equal architectures."""
    result = []
    for layer in model.layers:
        config = {k: v for k, v in layer.get_config().items() if k != "name"}
        result.append((type(layer).__name__, config))
    return result


def test_deeper_cnn_options_reach_the_layers():
    model = fv.build_model(
        "deeper_cnn",
        num_classes=4,
        input_shape=(32, 48, 3),
        depth=3,
        filters=8,
        max_filters=16,
        convs_per_block=2,
        batch_norm=True,
        dense_units=0,
        pooling="avg",
    )
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [8, 8, 16, 16, 16, 16]
    assert not any(c.use_bias for c in convs)  # batch norm follows
    assert len([t for t in layer_types(model) if t == "BatchNormalization"]) == 6
    assert fv.block_boundaries(model) == ("block1_pool", "block2_pool", "block3_pool")
    assert model.get_layer("head_pool").__class__ is keras.layers.GlobalAveragePooling2D
    assert "head_dense" not in {layer.name for layer in model.layers}
    assert tuple(model.get_layer("block3_pool").output.shape) == (None, 4, 6, 16)


def test_baseline_has_one_or_two_blocks_and_a_dense_head():
    one = fv.build_model("baseline_cnn", input_shape=(32, 32, 3), conv_blocks=1)
    two = fv.build_model("baseline_cnn", input_shape=(32, 32, 3))
    assert fv.block_boundaries(one) == ("block1_pool",)
    assert fv.block_boundaries(two) == ("block1_pool", "block2_pool")
    assert two.get_layer("head_dense").units == 128
    assert isinstance(two.get_layer("head_flatten"), keras.layers.Flatten)


def test_augmented_cnn_is_deeper_cnn_plus_dropout():
    model = fv.build_model("augmented_cnn", input_shape=(32, 32, 3))
    spatial = [layer for layer in model.layers if isinstance(layer, keras.layers.SpatialDropout2D)]
    assert [layer.rate for layer in spatial] == [0.1] * 4
    assert model.get_layer("head_dropout").rate == 0.5
    plain = fv.build_model("deeper_cnn", input_shape=(32, 32, 3))
    without = [a for a in architecture(model) if a[0] not in ("SpatialDropout2D", "Dropout")]
    assert without == architecture(plain)
    assert fv.get_model_spec("augmented_cnn").augmentation == "standard"


def test_tuned_cnn_is_deeper_cnn_with_plain_architecture_options():
    hp = {"depth": 3, "filters": 16, "dense_units": 64, "dropout": 0.25, "spatial_dropout": 0.0}
    tuned = fv.build_model("tuned_cnn", input_shape=(32, 32, 3), **hp)
    deeper = fv.build_model("deeper_cnn", input_shape=(32, 32, 3), **hp)
    assert architecture(tuned) == architecture(deeper)
    assert tuned.count_params() == deeper.count_params()
    step3 = fv.build_model("augmented_cnn", input_shape=(32, 32, 3))
    assert architecture(fv.build_model("tuned_cnn", input_shape=(32, 32, 3))) == architecture(step3)


def test_tuned_cnn_refuses_training_settings_and_bad_values():
    with pytest.raises(ValueError, match="unknown option.*'learning_rate'.*Accepted: depth"):
        fv.build_model("tuned_cnn", learning_rate=1e-3)
    with pytest.raises(ValueError, match="dropout must be a number"):
        fv.build_model("tuned_cnn", dropout=2)


def test_load_model_reloads_in_safe_mode_and_names_a_missing_file(tmp_path):
    model = fv.build_model("baseline_cnn", num_classes=3, input_shape=(16, 16, 3), filters=4)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = fv.load_model(path)
    assert loaded.name == "baseline_cnn" and loaded.count_params() == model.count_params()
    with pytest.raises(FileNotFoundError, match="nope.keras"):
        fv.load_model(tmp_path / "nope.keras")


def test_preprocessing_is_inside_the_model():
    model = fv.build_model("deeper_cnn", input_shape=(16, 16, 3), depth=2, filters=4)
    rescale = model.get_layer("rescale")
    assert isinstance(rescale, keras.layers.Rescaling) and rescale.scale == pytest.approx(1 / 255)
    images = raw_images(4, (16, 16, 3))
    np.testing.assert_allclose(
        model.predict(images, verbose=0),
        model.predict(images.astype("float32"), verbose=0),
        rtol=1e-6,
    )
