"""Where augmentation runs: inside the compiled train step, or in the tf.data pipeline.

``augment_on="auto"`` follows ``benchmarks/README.md`` (augmentation and loaders):

- **device** when every layer is a foodvision transform, on every backend: batches cross
  to the device as ``uint8`` and the accelerator does the work; on a 2-core CPU the
  "standard" preset ran 3.3x faster jitted on the device than in the parallel tf.data
  map (224 px, JAX), and training ``deeper_cnn`` with it cost the same on the device as
  in the map on TensorFlow (133.5 and 131.7 images/s);
- **pipeline** for lists holding Keras's own augmentation layers (they keep a random
  state and are not jit-safe), which needs tf.data batches.
"""

from __future__ import annotations

from typing import Any

from foodvision.base.checks import check_choice

AUGMENT_ON = ("auto", "device", "pipeline")
"""Accepted values of ``augment_on``.

Example:
    >>> AUGMENT_ON
    ('auto', 'device', 'pipeline')
"""


def resolve_augment_on(augment_on: str, pipeline: Any, *, tf_data: bool = True) -> str:
    """Resolve ``augment_on`` for an augmentation pipeline: ``"device"`` or ``"pipeline"``.

    Args:
        augment_on: One of :data:`AUGMENT_ON`.
        pipeline: The :class:`~foodvision.augment.pipeline.AugmentationPipeline`.
        tf_data: Whether the training batches come from ``tf.data`` (the array loader's
            do not: their augmentation runs on the device).

    Raises:
        ValueError: For an unknown value, ``"device"`` with layers that cannot run
            inside the train step, or ``"pipeline"`` without ``tf.data`` batches.

    Example:
        >>> from foodvision.augment.presets import augmentation
        >>> resolve_augment_on("auto", augmentation("standard"))
        'device'

    """
    check_choice("augment_on", augment_on, AUGMENT_ON)
    if augment_on == "device" and not pipeline.runs_on_device:
        others = sorted({type(layer).__name__ for layer in pipeline.layers})
        raise ValueError(
            f"augment_on='device' needs foodvision's augmentation layers, got {others}; use "
            "the layers of foodvision.augment.layers, or augment_on='pipeline'"
        )
    if not tf_data:
        if augment_on == "pipeline" or not pipeline.runs_on_device:
            raise ValueError(
                "these batches do not come from tf.data (loader='arrays' or in-memory "
                "arrays), so augmentation runs on the device: use foodvision's "
                "augmentation layers and augment_on='auto' or 'device'"
            )
        return "device"
    if augment_on != "auto":
        return augment_on
    return "device" if pipeline.runs_on_device else "pipeline"
