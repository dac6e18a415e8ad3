"""Run Grad-CAM on the backend named by KERAS_BACKEND and save the heatmaps.

Usage: python grad_cam_backend_script.py WORKDIR

WORKDIR holds ``inputs.npz`` (``images`` and the weights ``w0``, ``w1``, ... of
:func:`build_left_half_model`); the script writes ``heatmaps_<backend>.npz``. Run by
``test_grad_cam_backends.py``, one subprocess per backend, because the backend must be set
before keras is imported.
"""

import sys
from pathlib import Path

import keras
import numpy as np

from foodvision.interpret import feature_maps, grad_cam
from foodvision.interpret.gradients import value_and_grad

SIZE = 32


def build_left_half_model(num_classes: int = 3) -> keras.Model:
    """A CNN for raw 0..255 images whose class scores depend only on the left image half.

    The first convolution sees the whole image; its right half is cropped away and padded
    back with zeros, so the last convolution (1x1, no bias) is zero on the right half.
    """
    half = SIZE // 2
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_a")(x)
    x = keras.layers.Cropping2D(((0, 0), (0, half)))(x)
    x = keras.layers.ZeroPadding2D(((0, 0), (0, half)))(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(8, 1, use_bias=False, activation="relu", name="conv_b")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name="left_half")


def build_nested_vgg(num_classes: int = 3) -> keras.Model:
    """A transfer model: raw images -> Rescaling -> nested VGG16 base -> Dense softmax."""
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = base(x, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="nested_vgg")


def main(workdir: Path) -> None:
    data = np.load(workdir / "inputs.npz")
    model = build_left_half_model()
    model.set_weights([data[f"w{i}"] for i in range(len(model.weights))])
    images = data["images"]
    heatmaps = grad_cam(model, images)
    fixed = grad_cam(model, images, class_index=1)
    maps = feature_maps(model, images[0], ["conv_b"])["conv_b"]
    _, _, grad = value_and_grad(lambda t: (keras.ops.sum(t**3), None), [1.0, -2.0])
    # Nested VGG16 base: Grad-CAM runs, and the re-wired graph reaches the same activations
    # as the base model itself.
    vgg = build_nested_vgg()
    vgg_images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype("float32")
    vgg_heatmaps = grad_cam(vgg, vgg_images)
    base = vgg.get_layer("vgg16")
    inner = keras.Model(base.input, base.get_layer("block5_conv3").output)
    reference = keras.ops.convert_to_numpy(inner(vgg_images[:1] / 127.5 - 1))[0]
    rewired = feature_maps(vgg, vgg_images[0], ["block5_conv3"])["vgg16/block5_conv3"]
    np.savez(
        workdir / f"heatmaps_{keras.backend.backend()}.npz",
        heatmaps=heatmaps,
        fixed=fixed,
        conv_b=maps,
        grad=keras.ops.convert_to_numpy(grad),
        vgg=vgg_heatmaps,
        vgg_rewiring_error=np.abs(rewired - reference).max() / (np.abs(reference).max() + 1e-12),
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
