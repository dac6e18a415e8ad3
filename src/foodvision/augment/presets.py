"""``augmentation()``: the presets, made of jit-safe foodvision layers, or a list of your own.

Presets (images in 0..255, ``uint8`` or float; outputs ``float32`` in 0..255):

- ``"none"``: no change.
- ``"light"``: horizontal flip, rotation up to +-18 degrees, zoom up to 10 % (one warp).
- ``"standard"``: contrast and brightness 20 %, then flip, rotation +-36 degrees, zoom
  20 % and translation 10 % (one warp).
- ``"strong"``: flip, RandAugment (2 operations per image, magnitude up to 0.5), CutMix,
  then MixUp (alpha 0.2). CutMix and MixUp mix the labels too: training then uses soft
  one-hot targets (categorical cross-entropy; :func:`mixes_labels` tells).

Every preset layer is a :class:`foodvision.augment.layers.RandomTransform`: it runs inside
the compiled train step on any backend (``augment_on="device"``) or in a parallel
``tf.data`` map (``augment_on="pipeline"``). Layer ``i`` of a seeded preset is seeded with
``seed + i``; the same seed on the same backend and path gives the same batches.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from foodvision.base.checks import check_int

AUGMENTATION_PRESETS = ("none", "light", "standard", "strong")
"""Names accepted by :func:`augmentation`.

Example:
    >>> AUGMENTATION_PRESETS
    ('none', 'light', 'standard', 'strong')
"""


def _seed(seed: int | None, offset: int) -> int | None:
    return None if seed is None else seed + offset


def _preset_layers(name: str, seed: int | None) -> list:
    from foodvision.augment import layers

    if name == "none":
        return []
    if name == "light":
        return [layers.RandomAffine(rotation=0.05, zoom=0.1, horizontal_flip=True, seed=seed)]
    if name == "standard":
        # Colour first: with the warp last, XLA fuses nothing into its gathers (2x on CPU).
        return [
            layers.ColorJitter(brightness=0.2, contrast=0.2, seed=seed),
            layers.RandomAffine(
                rotation=0.1, zoom=0.2, translation=0.1, horizontal_flip=True, seed=_seed(seed, 1)
            ),
        ]
    return [
        layers.RandomFlip(seed=seed),
        layers.RandAugment(num_ops=2, magnitude=0.5, seed=_seed(seed, 1)),
        layers.CutMix(alpha=1.0, seed=_seed(seed, 2)),
        layers.MixUp(alpha=0.2, seed=_seed(seed, 3)),
    ]


def augmentation(preset: str | Sequence[Any] | None = "standard", seed: int | None = None) -> Any:
    """An augmentation pipeline from a preset name or a list of layers.

    Args:
        preset: One of :data:`AUGMENTATION_PRESETS`, ``None`` (same as ``"none"``), a
            list of ``keras.layers.Layer`` (applied in order), or an existing pipeline
            (returned as is). Lists of foodvision layers
            (:mod:`foodvision.augment.layers`) run anywhere; a list with Keras's own
            augmentation layers runs only in ``tf.data``, one batch at a time.
        seed: Seed of a preset's random layers (layer ``i`` gets ``seed + i``); ``None``
            for unseeded randomness.

    Returns:
        A :class:`foodvision.augment.pipeline.AugmentationPipeline` (a
        ``keras.layers.Pipeline``), callable on a batch of images, or on
        ``{"images": ..., "labels": one_hot}``.

    Raises:
        ValueError: Unknown preset name, a bad seed, or a list item that is not a Keras
            layer.

    Example:
        >>> aug = augmentation("light", seed=0)
        >>> aug.preset, aug.mixes_labels, aug.runs_on_device
        ('light', False, True)

    """
    import keras

    from foodvision.augment.pipeline import AugmentationPipeline

    if isinstance(preset, keras.layers.Pipeline):
        return preset
    if seed is not None:
        seed = check_int("seed", seed, 0)
    if preset is None:
        preset = "none"
    if isinstance(preset, str):
        if preset not in AUGMENTATION_PRESETS:
            close = difflib.get_close_matches(preset, AUGMENTATION_PRESETS, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown augmentation preset {preset!r}{hint} "
                f"Valid presets: {', '.join(AUGMENTATION_PRESETS)}, or a list of Keras layers"
            )
        return AugmentationPipeline(_preset_layers(preset, seed), preset=preset, seed=seed)
    if isinstance(preset, (list, tuple)):
        bad = [repr(x) for x in preset if not isinstance(x, keras.layers.Layer)]
        if bad:
            raise ValueError(f"augmentation layers must be keras.layers.Layer, got {bad}")
        return AugmentationPipeline(list(preset), preset="custom", seed=seed)
    raise ValueError(
        f"augmentation must be one of {', '.join(map(repr, AUGMENTATION_PRESETS))}, None, "
        f"a list of Keras layers or a keras.layers.Pipeline, got {preset!r}"
    )


def mixes_labels(preset: Any) -> bool:
    """Whether an augmentation mixes labels (MixUp, CutMix).

    If so, training uses one-hot float targets (soft after mixing): categorical, not
    sparse, cross-entropy.

    Example:
        >>> mixes_labels("strong"), mixes_labels("standard")
        (True, False)

    """
    from foodvision.augment.pipeline import layer_mixes_labels

    return layer_mixes_labels(augmentation(preset))
