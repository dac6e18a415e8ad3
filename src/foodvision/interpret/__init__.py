"""Look inside a model: first-layer filters, feature maps and Grad-CAM on every backend.

Example:
    >>> from foodvision.interpret import grad_cam, overlay_heatmap
    >>> heatmaps = grad_cam(model, images)  # doctest: +SKIP
    >>> picture = overlay_heatmap(images[0], heatmaps[0])  # doctest: +SKIP

"""

from foodvision.interpret.features import (
    default_feature_layers,
    feature_maps,
    first_conv2d_path,
    first_layer_filters,
)
from foodvision.interpret.graph import conv_layer_paths, list_layers
from foodvision.interpret.heatmaps import (
    default_target_layer,
    display_image,
    grad_cam,
    overlay_heatmap,
)

__all__ = [
    "conv_layer_paths",
    "default_feature_layers",
    "default_target_layer",
    "display_image",
    "feature_maps",
    "first_conv2d_path",
    "first_layer_filters",
    "grad_cam",
    "list_layers",
    "overlay_heatmap",
]
