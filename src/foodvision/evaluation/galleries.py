"""Image figures: worst mistakes, first-layer filters, feature maps and Grad-CAM overlays."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from foodvision.base.figures import class_label, new_figure, wrap_lines
from foodvision.interpret.heatmaps import display_image, overlay_heatmap


def _grid(count: int, columns: int) -> tuple[int, int]:
    columns = max(1, min(columns, count))
    return math.ceil(count / columns), columns


def _hide_unused(axes: np.ndarray, used: int) -> None:
    for axis in axes.ravel()[used:]:
        axis.set_visible(False)


def plot_mistakes(
    images: Sequence[Any],
    true_names: Sequence[str],
    predicted_names: Sequence[str],
    confidences: Sequence[float],
    files: Sequence[str | None] | None = None,
    *,
    columns: int = 4,
    title: str = "Most confident mistakes",
) -> Any:
    """A gallery of wrong predictions with true and predicted class and confidence.

    Args:
        images: One ``(H, W, 3)`` image per mistake (``uint8`` or float).
        true_names: True class of each image.
        predicted_names: Predicted class of each image.
        confidences: Probability given to the predicted class.
        files: Optional file path of each image (its base name is shown).
        columns: Images per row.
        title: Figure title.

    Example:
        >>> figure = plot_mistakes(images, ["pizza"], ["donut"], [0.97])  # doctest: +SKIP

    """
    count = len(images)
    if count == 0:
        raise ValueError("no mistakes to show")
    rows, columns = _grid(count, columns)
    figure = new_figure(2.6 * columns, 3.0 * rows + 0.4)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False))
    for index, axis in enumerate(axes.ravel()[:count]):
        axis.imshow(display_image(images[index]))
        axis.set_xticks([])
        axis.set_yticks([])
        text = wrap_lines(
            f"true: {true_names[index]}\npred: {predicted_names[index]} ({confidences[index]:.0%})"
        )
        if files is not None and files[index]:
            name = os.path.basename(str(files[index]))
            text += f"\n{name if len(name) <= 26 else name[:12] + '…' + name[-12:]}"
        axis.set_title(text, fontsize=8, color="#b00020")
    _hide_unused(axes, count)
    figure.suptitle(title)
    return figure


def _normalise(array: np.ndarray) -> np.ndarray:
    low, high = float(np.min(array)), float(np.max(array))
    if high - low < 1e-12:
        return np.zeros_like(array, dtype="float64")
    return (array - low) / (high - low)


def plot_filters(filters: Any, *, max_filters: int = 64, title: str = "First-layer filters") -> Any:
    """Show convolution kernels as small images (RGB for 3 input channels, else grey).

    Args:
        filters: ``(filters, kh, kw, in_channels)`` as from
            :func:`foodvision.interpret.first_layer_filters`.
        max_filters: Show at most this many.
        title: Figure title.

    Example:
        >>> figure = plot_filters(first_layer_filters(model))  # doctest: +SKIP

    """
    kernels = np.asarray(filters, dtype="float64")
    if kernels.ndim != 4:
        raise ValueError(f"filters must be (filters, kh, kw, channels), got {kernels.shape}")
    kernels = kernels[:max_filters]
    count = len(kernels)
    rows, columns = _grid(count, 8)
    figure = new_figure(1.1 * columns + 0.4, 1.1 * rows + 0.6)
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False))
    for index, axis in enumerate(axes.ravel()[:count]):
        kernel = _normalise(kernels[index])
        if kernel.shape[-1] == 3:
            axis.imshow(kernel, interpolation="nearest")
        else:
            axis.imshow(kernel.mean(axis=-1), cmap="gray", interpolation="nearest")
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_title(str(index), fontsize=7)
    _hide_unused(axes, count)
    figure.suptitle(title)
    return figure


def plot_feature_maps(
    maps: Mapping[str, Any],
    image: Any | None = None,
    *,
    max_channels: int = 8,
    title: str = "Feature maps",
) -> Any:
    """One row per layer: the most active channels of its feature maps for one image.

    Args:
        maps: ``{layer name: (h, w, channels)}``, as from
            :func:`foodvision.interpret.feature_maps`.
        image: The input image, shown at the start of the first row.
        max_channels: Channels shown per layer (those with the largest mean activation).
        title: Figure title.

    Example:
        >>> figure = plot_feature_maps(feature_maps(model, image), image)  # doctest: +SKIP

    """
    if not maps:
        raise ValueError("no feature maps to show")
    layers = list(maps)
    columns = max_channels + (1 if image is not None else 0)
    figure = new_figure(1.35 * columns + 0.4, 1.55 * len(layers) + 0.6)
    axes = np.atleast_1d(figure.subplots(len(layers), columns, squeeze=False))
    for row, name in enumerate(layers):
        activation = np.asarray(maps[name], dtype="float64")
        if activation.ndim == 2:
            activation = activation[..., None]
        if activation.ndim != 3:
            raise ValueError(f"feature map {name!r} has shape {activation.shape}, not (h, w, c)")
        strongest = np.argsort(activation.mean(axis=(0, 1)), kind="stable")[::-1][:max_channels]
        start = 0
        if image is not None:
            axis = axes[row, 0]
            if row == 0:
                axis.imshow(display_image(image))
                axis.set_title("input", fontsize=7)
            else:
                axis.set_visible(False)
            start = 1
        for offset in range(max_channels):
            axis = axes[row, start + offset]
            if offset >= len(strongest):
                axis.set_visible(False)
                continue
            channel = int(strongest[offset])
            axis.imshow(activation[..., channel], cmap="viridis", interpolation="nearest")
            axis.set_title(f"ch {channel}", fontsize=7)
        label_axis = axes[row, start]
        label_axis.set_ylabel(class_label(name.rsplit("/", 1)[-1], width=16), fontsize=8)
        for axis in axes[row]:
            axis.set_xticks([])
            axis.set_yticks([])
    figure.suptitle(title)
    return figure


def plot_grad_cam(
    images: Sequence[Any],
    heatmaps: Any,
    titles: Sequence[str] | None = None,
    *,
    columns: int = 4,
    title: str = "Grad-CAM",
) -> Any:
    """Each image above its Grad-CAM overlay (red: regions that raised the class score).

    Args:
        images: ``(N, H, W, 3)`` images.
        heatmaps: ``(N, H, W)`` maps in ``[0, 1]`` from :func:`foodvision.grad_cam`.
        titles: One caption per image (true/predicted class and confidence, say).
        columns: Image pairs per row.
        title: Figure title.

    Example:
        >>> figure = plot_grad_cam(images, grad_cam(model, images))  # doctest: +SKIP

    """
    maps = np.asarray(heatmaps)
    count = len(images)
    if count == 0 or len(maps) != count:
        raise ValueError(f"need one heatmap per image, got {len(maps)} for {count} images")
    rows, columns = _grid(count, columns)
    figure = new_figure(2.5 * columns, 5.0 * rows + 0.5)
    axes = np.atleast_1d(figure.subplots(2 * rows, columns, squeeze=False))
    for index in range(rows * columns):
        row, column = divmod(index, columns)
        original, overlay = axes[2 * row, column], axes[2 * row + 1, column]
        if index >= count:
            original.set_visible(False)
            overlay.set_visible(False)
            continue
        original.imshow(display_image(images[index]))
        overlay.imshow(overlay_heatmap(images[index], maps[index]))
        if titles is not None:
            original.set_title(wrap_lines(titles[index]), fontsize=8)
        overlay.set_title("Grad-CAM", fontsize=7)
        for axis in (original, overlay):
            axis.set_xticks([])
            axis.set_yticks([])
    figure.suptitle(title)
    return figure
