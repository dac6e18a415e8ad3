"""foodvision's own Keras layers and loss, all serializable (``safe_mode=True``) on every backend.

Importing ``foodvision`` imports this module, which registers the layers with Keras, so
``keras.saving.load_model`` (``safe_mode=True``) reloads foodvision models after
``import foodvision``.

- :class:`ImageNetPreprocessing`: ``keras.applications`` ``preprocess_input`` as a layer.
- :class:`SmoothedSparseCrossentropy`: integer-label cross-entropy with label smoothing.

The augmentation layers live in :mod:`foodvision.augment.layers`.
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
            raise ValueError(f"mode must be one of {', '.join(PREPROCESSING_MODES)}, got {mode!r}")
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
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy of integer labels with label smoothing (Keras's sparse loss has none).

    The label becomes a one-hot row over the model's outputs, smoothed to
    ``1 - smoothing + smoothing / classes`` for the true class and ``smoothing / classes``
    for the others, as in ``keras.losses.CategoricalCrossentropy(label_smoothing=...)``.

    Args:
        label_smoothing: Share of the target spread evenly over all classes, in [0, 1).
        **kwargs: ``keras.losses.Loss`` arguments (``name``, ``reduction``...).

    Example:
        >>> loss = SmoothedSparseCrossentropy(label_smoothing=0.1)
        >>> round(float(loss([0], [[1.0, 0.0]])), 3) > 0
        True
    """

    def __init__(self, label_smoothing: float = 0.1, **kwargs: Any) -> None:
        kwargs.setdefault("name", "smoothed_sparse_crossentropy")
        super().__init__(**kwargs)
        if not 0.0 <= float(label_smoothing) < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """The smoothed cross-entropy of each row."""
        y_pred = ops.convert_to_tensor(y_pred)
        classes = y_pred.shape[-1]
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        target = ops.one_hot(labels, classes, dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            target, y_pred, label_smoothing=self.label_smoothing
        )

    def get_config(self) -> dict[str, Any]:
        """The loss's configuration (for saving)."""
        return {**super().get_config(), "label_smoothing": self.label_smoothing}
