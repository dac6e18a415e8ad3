"""foodvision's own Keras layers, all serializable (``safe_mode=True``) on every backend.

Importing ``foodvision`` imports this module, which registers the layers with Keras, so
``keras.saving.load_model`` (``safe_mode=True``) reloads foodvision models after
``import foodvision``.

- :class:`ImageNetPreprocessing`: ``keras.applications`` ``preprocess_input`` as a layer.
- :class:`AugmentationPipeline`: ``keras.layers.Pipeline`` that knows its preset, accepts an
  empty list of layers and tells whether it mixes labels.
- :class:`FastRandAugment`: ``keras.layers.RandAugment`` without its ``Equalization`` op.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

_IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
_IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
_IMAGENET_STD_RGB = (0.229, 0.224, 0.225)

PREPROCESSING_MODES = ("caffe", "tf", "torch")
"""The modes of ``keras.applications.imagenet_utils.preprocess_input``."""


@keras.saving.register_keras_serializable(package="foodvision")
class ImageNetPreprocessing(keras.layers.Layer):
    """``keras.applications`` ImageNet preprocessing of raw RGB 0..255, as a layer.

    Modes (channels-last, as ``imagenet_utils.preprocess_input``):

    - ``"caffe"`` (VGG16, ResNet50): RGB -> BGR, minus the ImageNet mean per channel.
    - ``"tf"`` (MobileNetV2, Xception...): scale to -1..1.
    - ``"torch"`` (DenseNet): scale to 0..1, minus mean, divided by std (RGB).

    Args:
        mode: One of :data:`PREPROCESSING_MODES`.
        **kwargs: ``keras.layers.Layer`` arguments (``name``...).

    Example:
        >>> layer = ImageNetPreprocessing("caffe")
        >>> [round(float(v), 3) for v in layer(ops.zeros((1, 1, 1, 3)))[0, 0, 0]]
        [-103.939, -116.779, -123.68]

    """

    def __init__(self, mode: str = "caffe", **kwargs: Any):
        super().__init__(**kwargs)
        if mode not in PREPROCESSING_MODES:
            raise ValueError(f"mode must be one of {PREPROCESSING_MODES}, got {mode!r}")
        self.mode = mode

    def call(self, inputs: Any) -> Any:
        """Normalise a batch of channels-last RGB images in 0..255."""
        x = ops.cast(inputs, self.compute_dtype)
        if self.mode == "caffe":
            x = ops.flip(x, axis=-1)
            return x - ops.convert_to_tensor(_IMAGENET_MEAN_BGR, dtype=self.compute_dtype)
        if self.mode == "tf":
            return x / 127.5 - 1.0
        mean = ops.convert_to_tensor(_IMAGENET_MEAN_RGB, dtype=self.compute_dtype)
        std = ops.convert_to_tensor(_IMAGENET_STD_RGB, dtype=self.compute_dtype)
        return (x / 255.0 - mean) / std

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Same shape as the input."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "mode": self.mode}


@keras.saving.register_keras_serializable(package="foodvision")
class FastRandAugment(keras.layers.RandAugment):
    """``keras.layers.RandAugment`` without ``Equalization``.

    Keras computes every candidate op for every batch and then selects; its
    ``Equalization`` op alone takes about three quarters of the layer's time in a
    ``tf.data`` pipeline (measured: 1.43 s -> 0.34 s per batch of 32 128x128 images on
    2 CPU cores) and ~9 s to trace. The other ten ops are unchanged.
    """

    _AUGMENT_LAYERS = [n for n in keras.layers.RandAugment._AUGMENT_LAYERS if n != "equalization"]


@keras.saving.register_keras_serializable(package="foodvision")
class AugmentationPipeline(keras.layers.Pipeline):
    """A ``keras.layers.Pipeline`` of augmentation layers, usable in ``tf.data.Dataset.map``.

    Unlike ``keras.layers.Pipeline`` it accepts an empty list (the ``"none"`` preset: it
    returns its input unchanged) and records the preset it was made from.

    Args:
        layers: Augmentation layers applied in order.
        preset: Preset name, or ``"custom"``.
        name: Layer name.

    """

    def __init__(self, layers: list, preset: str = "custom", name: str | None = None):
        super().__init__(list(layers), name=name)
        self.preset = preset

    @property
    def mixes_labels(self) -> bool:
        """Whether a layer mixes labels (MixUp, CutMix).

        Such a pipeline is called on ``{"images": images, "labels": one_hot}``.
        """
        return any(layer_mixes_labels(layer) for layer in self.layers)

    def call(self, inputs: Any, training: bool = True, mask: Any = None) -> Any:
        """Apply the layers in order (identity when there are none)."""
        if not self.layers:
            return inputs
        return super().call(inputs, training=training, mask=mask)

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "preset": self.preset}


def layer_mixes_labels(layer: Any) -> bool:
    """Whether ``layer`` mixes labels across a batch.

    True for MixUp, CutMix, any layer with a true ``mixes_labels`` attribute, and
    pipelines or models containing one.
    """
    flag = getattr(layer, "mixes_labels", None)
    if isinstance(flag, bool):
        return flag
    if isinstance(layer, (keras.layers.MixUp, keras.layers.CutMix)):
        return True
    return any(layer_mixes_labels(inner) for inner in getattr(layer, "layers", ()) or ())
