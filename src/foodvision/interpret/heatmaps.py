"""Grad-CAM: where in the image the model looked for a class (Selvaraju et al., 2017).

For a convolution layer with activations ``A`` of shape ``(h, w, channels)`` and a class
score ``y_c``, the channel weights are the spatial means of ``d y_c / d A`` and the map is
``relu(sum_k weight_k * A_k)``, upsampled (bilinear) to the image size and scaled so that
its maximum is 1. Works on the jax, tensorflow and torch backends, for plain CNNs and for
transfer models whose base is a nested model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from foodvision.interpret.gradients import value_and_grad
from foodvision.interpret.graph import (
    conv_layer_paths,
    list_layers,
    output_layer_path,
    resolve_layer,
    run_graph,
)


def default_target_layer(model: keras.Model) -> str:
    """Path of the last 2-D convolution layer of ``model`` (nested models included).

    Raises:
        ValueError: If the model has no convolution layer.

    """
    paths = conv_layer_paths(model)
    if not paths:
        names = [path for path, _ in list_layers(model)]
        raise ValueError(
            f"model {model.name!r} has no 2-D convolution layer, so Grad-CAM has no default "
            "layer; pass layer_name= naming a layer with a (batch, height, width, channels) "
            f"output. Its layers are: {', '.join(repr(n) for n in names) or '(none)'}"
        )
    return paths[-1]


def _is_softmax(activation: Any) -> bool:
    return getattr(activation, "__name__", "") == "softmax"


def _logits_override(model: keras.Model) -> dict[str, Callable[..., Any]]:
    """Compute the class scores before the final softmax when the model ends with one."""
    path, operation = output_layer_path(model)
    if isinstance(operation, keras.layers.Softmax) or (
        isinstance(operation, keras.layers.Activation) and _is_softmax(operation.activation)
    ):
        return {path: lambda layer, x, *args, **kwargs: x}
    if (
        type(operation) is keras.layers.Dense
        and _is_softmax(operation.activation)
        and not getattr(operation, "quantization_mode", None)
    ):

        def dense_logits(layer: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
            logits = keras.ops.matmul(x, layer.kernel)
            return keras.ops.add(logits, layer.bias) if layer.use_bias else logits

        return {path: dense_logits}
    return {}


def _bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
    """``(size_out, size_in)`` matrix of bilinear interpolation with half-pixel centres."""
    centres = (np.arange(size_out) + 0.5) * (size_in / size_out) - 0.5
    centres = np.clip(centres, 0, size_in - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    frac = centres - low
    matrix = np.zeros((size_out, size_in))
    rows = np.arange(size_out)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def resize_maps(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize ``(N, h, w)`` maps to ``(N, *size)`` by bilinear interpolation (numpy)."""
    rows = _bilinear_matrix(maps.shape[1], size[0])
    cols = _bilinear_matrix(maps.shape[2], size[1])
    return np.einsum("ij,njk,lk->nil", rows, maps, cols)


def _as_images(images: Any) -> np.ndarray:
    array = np.asarray(images, dtype="float32")
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise ValueError(
            f"images must have shape (N, height, width, channels) or (height, width, "
            f"channels), got {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError("images is empty; pass at least one image")
    return array


def _requested_classes(class_index: Any, count: int) -> np.ndarray | None:
    """``class_index`` as one index per image, or ``None`` for the predicted classes."""
    if class_index is None:
        return None
    indices = np.asarray(class_index)
    if indices.ndim == 0:
        indices = np.full(count, indices)
    if indices.shape != (count,) or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            f"class_index must be None, one integer or one integer per image ({count}), "
            f"got {class_index!r}"
        )
    return indices.astype(int)


def _channels_last(array: np.ndarray, layer: Any) -> np.ndarray:
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return np.moveaxis(array, 1, -1)
    return array


def grad_cam(
    model: keras.Model,
    images: Any,
    class_index: int | Sequence[int] | None = None,
    layer_name: str | None = None,
    *,
    batch_size: int = 32,
) -> np.ndarray:
    """Grad-CAM heatmaps of ``images`` for a class.

    The class score is the model's output before a final softmax (taken from the last
    ``Dense(..., activation="softmax")``, ``Activation("softmax")`` or ``Softmax`` layer),
    otherwise the model's output itself. Images are fed as given, so a model that expects
    raw 0..255 pixels and rescales inside gets raw pixels.

    Args:
        model: A Functional or Sequential classifier; nested models (a pretrained base
            used as a layer) are entered.
        images: ``(N, H, W, C)`` or one ``(H, W, C)`` image, as the model takes them.
        class_index: The class to explain: one index for every image, one per image, or
            ``None`` for each image's predicted class.
        layer_name: The layer whose activations are weighted, a short name
            (``"block5_conv3"``) or a path (``"vgg16/block5_conv3"``); default: the
            last 2-D convolution layer.
        batch_size: Images per forward/backward pass.

    Returns:
        ``float32`` array ``(N, H, W)`` in ``[0, 1]``; each map's maximum is 1, or the map
        is all zero when nothing in the layer raises the class score.

    Raises:
        ValueError: For a model without convolution layers, an unknown layer name (the
            message lists the convolution layers), a layer whose output is not
            ``(batch, height, width, channels)``, or a class index out of range.

    Example:
        >>> heatmaps = grad_cam(model, images[:4])  # doctest: +SKIP
        >>> heatmaps.shape, float(heatmaps.max())  # doctest: +SKIP
        ((4, 128, 128), 1.0)

    """
    array = _as_images(images)
    requested = _requested_classes(class_index, len(array))
    path = resolve_layer(model, layer_name) if layer_name else default_target_layer(model)
    layer = dict(list_layers(model))[path]
    override = _logits_override(model)
    dtype = model.inputs[0].dtype if getattr(model, "inputs", None) else "float32"
    results = []
    for start in range(0, len(array), batch_size):
        batch = keras.ops.convert_to_tensor(array[start : start + batch_size], dtype=dtype)
        scores, recorded = run_graph(model, batch, record=[path], override=override)
        scores = keras.ops.convert_to_numpy(scores)
        activations = keras.ops.convert_to_numpy(recorded[path])
        if activations.ndim != 4:
            raise ValueError(
                f"layer {path!r} outputs shape {tuple(activations.shape)}; Grad-CAM needs a "
                "layer with a (batch, height, width, channels) output. Convolution layers: "
                f"{', '.join(repr(p) for p in conv_layer_paths(model)) or '(none)'}"
            )
        if scores.ndim != 2:
            raise ValueError(
                f"model output has shape {scores.shape}; Grad-CAM expects (batch, classes)"
            )
        num_classes = scores.shape[1]
        if requested is None:
            indices = scores.argmax(axis=1)
        else:
            indices = requested[start : start + len(scores)]
            if indices.min() < 0 or indices.max() >= num_classes:
                raise ValueError(
                    f"class_index must be in 0..{num_classes - 1} (the model has "
                    f"{num_classes} classes), got {class_index!r}"
                )
        one_hot = np.eye(num_classes, dtype="float32")[indices]

        def class_score(delta: Any, batch: Any = batch, one_hot: np.ndarray = one_hot) -> Any:
            def shift(output: Any) -> Any:
                return keras.ops.add(output, delta)

            outputs, _ = run_graph(model, batch, replace={path: shift}, override=override)
            return keras.ops.sum(keras.ops.multiply(outputs, one_hot)), None

        _, _, grads = value_and_grad(class_score, np.zeros_like(activations))
        grads = _channels_last(keras.ops.convert_to_numpy(grads).astype("float64"), layer)
        activations = _channels_last(activations.astype("float64"), layer)
        weights = grads.mean(axis=(1, 2))
        cams = np.maximum(np.einsum("nhwc,nc->nhw", activations, weights), 0.0)
        results.append(resize_maps(cams, array.shape[1:3]))
    maps = np.concatenate(results)
    peaks = maps.max(axis=(1, 2), keepdims=True)
    maps = np.divide(maps, peaks, out=np.zeros_like(maps), where=peaks > 0)
    return np.clip(maps, 0.0, 1.0).astype("float32")


def overlay_heatmap(
    image: Any, heatmap: np.ndarray, *, alpha: float = 0.45, colormap: str = "jet"
) -> np.ndarray:
    """Blend a ``[0, 1]`` heatmap, coloured with a matplotlib colormap, over an image.

    Args:
        image: ``(H, W, 3)`` image, ``uint8`` 0..255 or float in 0..1 or 0..255.
        heatmap: ``(h, w)`` map in ``[0, 1]``; resized to the image when sizes differ.
        alpha: Weight of the heatmap colour.
        colormap: A matplotlib colormap name.

    Returns:
        ``uint8`` array ``(H, W, 3)``.

    Example:
        >>> blended = overlay_heatmap(images[0], grad_cam(model, images[:1])[0])  # doctest: +SKIP

    """
    import matplotlib

    picture = display_image(image)
    heat = np.asarray(heatmap, dtype="float64")
    if heat.shape != picture.shape[:2]:
        heat = resize_maps(heat[None], picture.shape[:2])[0]
    colours = matplotlib.colormaps[colormap](np.clip(heat, 0, 1))[..., :3] * 255.0
    blended = (1 - alpha) * picture.astype("float64") + alpha * colours
    return np.clip(np.round(blended), 0, 255).astype("uint8")


def display_image(image: Any) -> np.ndarray:
    """Return ``image`` as ``uint8`` RGB ``(H, W, 3)`` for display.

    Floats with a maximum of at most 1 are taken as 0..1, others as 0..255; one channel
    is repeated to three.
    """
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[..., None]
    if array.dtype != np.uint8:
        array = array.astype("float64")
        if array.size and array.max() <= 1.0 and array.min() >= 0.0:
            array = array * 255.0
        array = np.clip(np.round(array), 0, 255).astype("uint8")
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    return array[..., :3]
