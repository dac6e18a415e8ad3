"""What the layers see: first-layer filters and feature maps of chosen layers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from foodvision.interpret.graph import (
    conv_layer_paths,
    list_layers,
    resolve_layer,
    run_graph,
)


def default_feature_layers(model: keras.Model) -> list[str]:
    """The first, middle and last 2-D convolution layers of ``model`` (fewer if it has fewer)."""
    paths = conv_layer_paths(model)
    if len(paths) <= 3:
        return paths
    return [paths[0], paths[len(paths) // 2], paths[-1]]


def feature_maps(
    model: keras.Model, image: Any, layer_names: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Outputs of chosen layers for one image.

    Args:
        model: A Functional or Sequential model (nested models are entered).
        image: One image ``(H, W, C)`` (or a batch of one), as the model takes it.
        layer_names: Short names or paths (``"vgg16/block1_conv1"``) of the layers; default:
            the first, middle and last convolution layers.

    Returns:
        ``{layer path: array}``, in the order asked, each without the batch axis (for a
        convolution layer ``(height, width, channels)``).

    Raises:
        ValueError: If a layer name is unknown (the message lists the convolution layers)
            or the model has no convolution layer and no names were given.

    Example:
        >>> maps = feature_maps(model, images[0], ["conv2d", "conv2d_1"])  # doctest: +SKIP
        >>> maps["conv2d"].shape  # doctest: +SKIP
        (64, 64, 16)

    """
    array = np.asarray(image, dtype="float32")
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[0] != 1:
        raise ValueError(f"image must have shape (H, W, C) or (1, H, W, C), got {array.shape}")
    if layer_names is None:
        paths = default_feature_layers(model)
        if not paths:
            raise ValueError(
                f"model {model.name!r} has no convolution layer; pass layer_names= to choose "
                "the layers to show"
            )
    else:
        if isinstance(layer_names, str):
            layer_names = [layer_names]
        paths = [resolve_layer(model, name) for name in layer_names]
    dtype = model.inputs[0].dtype if getattr(model, "inputs", None) else "float32"
    _, recorded = run_graph(model, keras.ops.convert_to_tensor(array, dtype=dtype), record=paths)
    return {path: keras.ops.convert_to_numpy(recorded[path])[0] for path in paths}


def first_conv2d_path(model: keras.Model) -> str | None:
    """Path of the first ``Conv2D`` layer of ``model`` (nested models included), or ``None``."""
    for path, layer in list_layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            return path
    return None


def first_layer_filters(model: keras.Model, layer_name: str | None = None) -> np.ndarray:
    """Kernels of the first ``Conv2D`` layer (or of ``layer_name``), one per filter.

    Args:
        model: A Functional or Sequential model (nested models are entered).
        layer_name: A ``Conv2D`` layer to use instead of the first one.

    Returns:
        Raw weights as ``(filters, kernel_height, kernel_width, input_channels)``.

    Raises:
        ValueError: If the model has no ``Conv2D`` layer or ``layer_name`` is not one.

    Example:
        >>> first_layer_filters(model).shape  # doctest: +SKIP
        (64, 3, 3, 3)

    """
    layers = dict(list_layers(model))
    if layer_name is not None:
        path = resolve_layer(model, layer_name)
        if not isinstance(layers[path], keras.layers.Conv2D):
            raise ValueError(
                f"layer {path!r} is a {type(layers[path]).__name__}, not a Conv2D; choose one "
                f"of {', '.join(repr(p) for p in conv_layer_paths(model)) or '(none)'}"
            )
    else:
        path = first_conv2d_path(model)
        if path is None:
            raise ValueError(
                f"model {model.name!r} has no Conv2D layer, so it has no filters to show"
            )
    # Keras stores Conv2D kernels as (kh, kw, in, out) in both data formats.
    kernel = keras.ops.convert_to_numpy(layers[path].kernel.value)
    return np.transpose(kernel, (3, 0, 1, 2))
