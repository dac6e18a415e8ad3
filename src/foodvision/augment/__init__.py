"""Data augmentation: presets of jit-safe layers, run on the device or in tf.data.

- :mod:`~foodvision.augment.presets`: :func:`augmentation` (presets or your own list) and
  :func:`mixes_labels`.
- :mod:`~foodvision.augment.layers`: the layers (flip, one affine warp, resized crop,
  colour jitter, RandAugment, MixUp, CutMix), written with ``keras.ops``.
- :mod:`~foodvision.augment.placement`: where augmentation runs (``augment_on``).
- :mod:`~foodvision.augment.tf_data`: :func:`apply_augmentation` and :func:`augment_fn`
  for ``tf.data``.
- :mod:`~foodvision.augment.geometry`, :mod:`~foodvision.augment.color`,
  :mod:`~foodvision.augment.mixing`: the transforms, backend-neutral.

Example:
    >>> aug = fv.augmentation("standard", seed=0)  # doctest: +SKIP
    >>> history = fv.train(model, data, augmentation=aug, augment_on="device")  # doctest: +SKIP

"""

from foodvision.augment.placement import AUGMENT_ON, resolve_augment_on
from foodvision.augment.presets import AUGMENTATION_PRESETS, augmentation, mixes_labels
from foodvision.augment.tf_data import apply_augmentation, augment_fn

__all__ = [
    "AUGMENTATION_PRESETS",
    "AUGMENT_ON",
    "apply_augmentation",
    "augment_fn",
    "augmentation",
    "mixes_labels",
    "resolve_augment_on",
]
