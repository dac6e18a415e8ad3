"""Grad-CAM, feature maps and filters on the current backend, against hand computations."""

import keras
import numpy as np
import pytest

from foodvision.interpret import (
    conv_layer_paths,
    default_target_layer,
    feature_maps,
    first_layer_filters,
    grad_cam,
    list_layers,
    overlay_heatmap,
)
from foodvision.interpret.gradients import value_and_grad
from foodvision.interpret.heatmaps import resize_maps

RNG = np.random.default_rng(0)


def conv_gap_dense(activation, seed=0):
    """Conv2D(relu, same) -> GAP -> Dense: the class score gradient is known in closed form."""
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(5, 3, padding="same", activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation=activation, name="head")(x)
    model = keras.Model(inputs, outputs)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.weights])
    return model


def hand_grad_cam(model, images, classes):
    """Grad-CAM from its definition: d score_c / d A_k = W[k, c] / (h * w) for GAP + Dense."""
    conv = keras.Model(model.input, model.get_layer("conv").output)
    activations = np.asarray(conv.predict(images, verbose=0), dtype="float64")
    kernel = np.asarray(
        keras.ops.convert_to_numpy(model.get_layer("head").kernel.value), dtype="float64"
    )
    h, w = activations.shape[1:3]
    maps = []
    for a, c in zip(activations, classes):
        weights = kernel[:, c] / (h * w)
        cam = np.maximum((a * weights).sum(-1), 0)
        maps.append(cam / cam.max() if cam.max() > 0 else cam)
    return np.array(maps)


def test_grad_cam_matches_definition():
    model = conv_gap_dense(activation=None)
    images = RNG.normal(size=(4, 8, 8, 3)).astype("float32")
    logits = model.predict(images, verbose=0)
    heatmaps = grad_cam(model, images)
    np.testing.assert_allclose(heatmaps, hand_grad_cam(model, images, logits.argmax(1)), atol=1e-5)
    explicit = grad_cam(model, images, class_index=[2, 0, 1, 2])
    np.testing.assert_allclose(explicit, hand_grad_cam(model, images, [2, 0, 1, 2]), atol=1e-5)
    assert heatmaps.dtype == np.float32 and heatmaps.shape == (4, 8, 8)


def test_softmax_model_uses_scores_before_softmax():
    linear, softmax = conv_gap_dense(None), conv_gap_dense("softmax")
    images = RNG.normal(size=(3, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(grad_cam(softmax, images, 1), grad_cam(linear, images, 1), atol=1e-6)
    activation_layer = keras.Sequential(
        [*conv_gap_dense(None).layers, keras.layers.Activation("softmax")]
    )
    activation_layer.set_weights([keras.ops.convert_to_numpy(w.value) for w in linear.weights])
    np.testing.assert_allclose(
        grad_cam(activation_layer, images, 1), grad_cam(linear, images, 1), atol=1e-6
    )


def nested(flat_weights=None):
    """Outer model with a nested functional base of two convolutions."""
    base_in = keras.Input((12, 12, 3))
    y = keras.layers.Conv2D(4, 3, activation="relu", name="b_conv1")(base_in)
    y = keras.layers.MaxPooling2D(name="b_pool")(y)
    y = keras.layers.Conv2D(6, 3, activation="relu", name="b_conv2")(y)
    base = keras.Model(base_in, y, name="base")
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="outer")


def flat():
    """The same layers as :func:`nested`, without the nesting."""
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="f_conv1")(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="f_conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="flat")


@pytest.fixture(scope="module")
def nested_and_flat():
    outer, twin = nested(), flat()
    rng = np.random.default_rng(5)
    weights = [rng.normal(0, 0.7, w.shape).astype("float32") for w in outer.weights]
    outer.set_weights(weights)
    twin.set_weights(weights)
    return outer, twin


def test_nested_base_is_entered(nested_and_flat):
    outer, twin = nested_and_flat
    assert conv_layer_paths(outer) == ["base/b_conv1", "base/b_conv2"]
    assert default_target_layer(outer) == "base/b_conv2"
    images = RNG.integers(0, 256, (3, 12, 12, 3)).astype("float32")
    np.testing.assert_allclose(grad_cam(outer, images), grad_cam(twin, images), atol=1e-5)
    by_short_name = grad_cam(outer, images, layer_name="b_conv1")
    np.testing.assert_allclose(
        by_short_name, grad_cam(twin, images, layer_name="f_conv1"), atol=1e-5
    )
    maps = feature_maps(outer, images[0], ["base/b_conv2", "base"])
    expected = keras.Model(twin.input, twin.get_layer("f_conv2").output)(images[:1])
    np.testing.assert_allclose(maps["base/b_conv2"], np.asarray(expected)[0], atol=1e-5)
    np.testing.assert_allclose(maps["base"], maps["base/b_conv2"])


def test_sequential_model_and_feature_maps_defaults():
    model = keras.Sequential(
        [
            keras.Input((10, 10, 1)),
            keras.layers.Conv2D(3, 3, activation="relu", name="c1"),
            keras.layers.Conv2D(3, 3, activation="relu", name="c2"),
            keras.layers.Conv2D(3, 3, activation="relu", name="c3"),
            keras.layers.Conv2D(3, 3, activation="relu", name="c4"),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    image = RNG.normal(size=(10, 10, 1)).astype("float32")
    maps = feature_maps(model, image)
    assert list(maps) == ["c1", "c3", "c4"]  # first, middle, last convolution
    assert maps["c4"].shape == (2, 2, 3)
    heatmaps = grad_cam(model, image)
    assert heatmaps.shape == (1, 10, 10)
    assert np.isfinite(heatmaps).all() and heatmaps.min() >= 0 and heatmaps.max() <= 1


def test_first_layer_filters_are_the_kernel():
    model = conv_gap_dense(None)
    kernel = keras.ops.convert_to_numpy(model.get_layer("conv").kernel.value)
    filters = first_layer_filters(model)
    assert filters.shape == (5, 3, 3, 3)
    np.testing.assert_array_equal(filters[2], kernel[..., 2])


def test_clear_errors():
    dense_only = keras.Sequential(
        [keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    images = np.zeros((1, 4, 4, 3), "float32")
    with pytest.raises(ValueError, match="no 2-D convolution layer.*layer_name="):
        grad_cam(dense_only, images)
    with pytest.raises(ValueError, match="no Conv2D layer"):
        first_layer_filters(dense_only)
    model = conv_gap_dense(None)
    with pytest.raises(ValueError, match=r"no layer named 'conv9'.*convolution layers: 'conv'"):
        grad_cam(model, np.zeros((1, 8, 8, 3)), layer_name="conv9")
    with pytest.raises(ValueError, match="Did you mean 'conv'"):
        feature_maps(model, np.zeros((8, 8, 3)), ["conv9"])
    with pytest.raises(ValueError, match=r"layer 'head' outputs shape \(1, 3\)"):
        grad_cam(model, np.zeros((1, 8, 8, 3)), layer_name="head")
    with pytest.raises(ValueError, match=r"class_index must be in 0..2"):
        grad_cam(model, np.zeros((1, 8, 8, 3)), class_index=3)
    with pytest.raises(ValueError, match="one integer per image"):
        grad_cam(model, np.zeros((2, 8, 8, 3)), class_index=[0, 1, 2])
    with pytest.raises(ValueError, match=r"\(N, height, width, channels\)"):
        grad_cam(model, np.zeros((8, 8)))


def test_subclassed_model_is_explained_in_the_error():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(2, 3)

        def call(self, x):
            return keras.ops.mean(self.conv(x), axis=(1, 2))

    with pytest.raises(ValueError, match="subclassed.*functional API"):
        list_layers(Custom())


def test_value_and_grad_on_this_backend():
    value, aux, grad = value_and_grad(lambda t: (keras.ops.sum(t**3), "aux"), [1.0, -2.0])
    assert float(keras.ops.convert_to_numpy(value)) == pytest.approx(-7.0)
    assert aux == "aux"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(grad), [3.0, 12.0])


def test_resize_and_overlay():
    maps = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    resized = resize_maps(maps, (4, 4))
    assert resized.shape == (1, 4, 4)
    assert resized[0, 0, 0] == pytest.approx(0.0) and resized[0, 0, 3] == pytest.approx(1.0)
    assert resized[0, 1, 1] == pytest.approx(0.375)  # bilinear, half-pixel centres
    image = np.full((4, 4, 3), 100, np.uint8)
    blended = overlay_heatmap(image, maps[0], alpha=0.5)
    assert blended.shape == (4, 4, 3) and blended.dtype == np.uint8
    assert not np.array_equal(blended[0, 0], blended[0, 3])
