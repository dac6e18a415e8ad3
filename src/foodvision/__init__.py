"""foodvision: image classification with Keras 3 on JAX, TensorFlow or PyTorch.

Importing foodvision never sets ``KERAS_BACKEND``; set it before importing (the
``foodvision`` command defaults it to ``jax``).

Example:
    >>> import foodvision as fv
    >>> data = fv.load_synthetic(image_size=(64, 64), seed=0)  # doctest: +SKIP
    >>> data.class_names  # doctest: +SKIP
    ('pizza', 'donut', 'sushi', 'salad', 'fries')
"""

from foodvision.data import (
    ImageData,
    load_food101,
    load_image_folder,
    load_synthetic,
)

# --- models (registry, weights, augmentation) ---
# --- end models ---
from foodvision.training import train

__version__ = "0.1.0"

__all__ = [
    "ImageData",
    "load_food101",
    "load_image_folder",
    "load_synthetic",
    "train",
    # --- models __all__ ---
    # --- end models __all__ ---
]
