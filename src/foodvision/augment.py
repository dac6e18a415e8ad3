"""Augmentation presets as ``keras.layers.Pipeline``, applied in the ``tf.data`` pipeline.

Augmentation runs on batches in ``tf.data`` (any backend), not inside the model: some
Keras augmentation layers (``RandomZoom``) do not support XLA, and one of them inside a
model silently turns off jit for the whole JAX train step.

Presets (images in 0..255, uint8 or float; outputs float32 in 0..255):

- ``"none"``: no change.
- ``"light"``: horizontal flip, rotation up to +-18 degrees, zoom up to 10 %.
- ``"standard"``: flip, rotation +-36 degrees, zoom 20 %, translation 10 %, contrast and
  brightness 20 %.
- ``"strong"``: flip, RandAugment (2 ops, magnitude 0.5; see
  :class:`foodvision.layers.FastRandAugment`), CutMix, then MixUp (alpha 0.2). CutMix and
  MixUp mix the labels too: the pipeline must be called on
  ``{"images": x, "labels": one_hot}``; :func:`apply_augmentation` does that and returns
  one-hot float labels (soft after mixing), so train with categorical cross-entropy
  (:func:`mixes_labels` tells).

Reproducibility: a seeded preset gives the same batches every time it is applied in the
same order. Each layer keeps a random state that advances per batch, so map it
sequentially (the default of :func:`apply_augmentation`); a parallel map assigns the
random draws to batches in a nondeterministic order.

Example:
    >>> aug = augmentation("standard", seed=0)  # doctest: +SKIP
    >>> train = apply_augmentation(data.train, aug, num_classes=5)  # doctest: +SKIP

"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

AUGMENTATION_PRESETS = ("none", "light", "standard", "strong")
"""Names accepted by :func:`augmentation`.

Example:
    >>> AUGMENTATION_PRESETS
    ('none', 'light', 'standard', 'strong')
"""

_VALUE_RANGE = (0, 255)


def _seed(seed: int | None, offset: int) -> int | None:
    return None if seed is None else seed + offset


def _preset_layers(name: str, seed: int | None) -> list:
    from keras import layers

    from foodvision.layers import FastRandAugment

    if name == "none":
        return []
    if name == "light":
        return [
            layers.RandomFlip("horizontal", seed=_seed(seed, 0)),
            layers.RandomRotation(0.05, seed=_seed(seed, 1)),
            layers.RandomZoom(0.1, seed=_seed(seed, 2)),
        ]
    if name == "standard":
        return [
            layers.RandomFlip("horizontal", seed=_seed(seed, 0)),
            layers.RandomRotation(0.1, seed=_seed(seed, 1)),
            layers.RandomZoom(0.2, seed=_seed(seed, 2)),
            layers.RandomTranslation(0.1, 0.1, seed=_seed(seed, 3)),
            layers.RandomContrast(0.2, value_range=_VALUE_RANGE, seed=_seed(seed, 4)),
            layers.RandomBrightness(0.2, value_range=_VALUE_RANGE, seed=_seed(seed, 5)),
        ]
    return [
        layers.RandomFlip("horizontal", seed=_seed(seed, 0)),
        FastRandAugment(value_range=_VALUE_RANGE, num_ops=2, factor=0.5, seed=_seed(seed, 1)),
        layers.CutMix(factor=1.0, seed=_seed(seed, 2)),
        layers.MixUp(alpha=0.2, seed=_seed(seed, 3)),
    ]


def augmentation(preset: str | Sequence[Any] | None = "standard", seed: int | None = None) -> Any:
    """An augmentation pipeline from a preset name or a list of Keras layers.

    Args:
        preset: One of :data:`AUGMENTATION_PRESETS`, ``None`` (same as ``"none"``), a
            list of ``keras.layers.Layer`` (applied in order), or an existing pipeline
            (returned as is).
        seed: Seed of the random layers of a preset (layer ``i`` gets ``seed + i``);
            ``None`` for unseeded randomness.

    Returns:
        A :class:`foodvision.layers.AugmentationPipeline` (a ``keras.layers.Pipeline``),
        callable on a batch of images, or on ``{"images": ..., "labels": ...}``.

    Raises:
        ValueError: Unknown preset name, or a list item that is not a Keras layer.

    Example:
        >>> aug = augmentation("light", seed=0)  # doctest: +SKIP
        >>> aug.preset, aug.mixes_labels  # doctest: +SKIP
        ('light', False)

    """
    import keras

    from foodvision.layers import AugmentationPipeline

    if isinstance(preset, keras.layers.Pipeline):
        return preset
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
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}")
        return AugmentationPipeline(_preset_layers(preset, seed), preset=preset)
    if isinstance(preset, (list, tuple)):
        bad = [repr(x) for x in preset if not isinstance(x, keras.layers.Layer)]
        if bad:
            raise ValueError(f"augmentation layers must be keras.layers.Layer, got {bad}")
        return AugmentationPipeline(list(preset), preset="custom")
    raise ValueError(
        f"augmentation must be one of {AUGMENTATION_PRESETS}, None, a list of Keras layers "
        f"or a keras.layers.Pipeline, got {preset!r}"
    )


def mixes_labels(preset: Any) -> bool:
    """Whether an augmentation mixes labels (MixUp, CutMix).

    If so, :func:`apply_augmentation` returns one-hot float labels; train with
    categorical (not sparse) cross-entropy.

    Example:
        >>> mixes_labels(augmentation("strong"))  # doctest: +SKIP
        True

    """
    from foodvision.layers import layer_mixes_labels

    return layer_mixes_labels(augmentation(preset))


def augment_fn(
    preset: Any, num_classes: int | None = None
) -> Callable[[Any, Any], tuple[Any, Any]] | None:
    """A ``(images, labels) -> (images, labels)`` function for ``tf.data.Dataset.map``.

    Images are a batch ``(B, H, W, 3)`` in 0..255; labels are integer class indices
    ``(B,)`` (or already one-hot ``(B, num_classes)``). When the augmentation mixes
    labels, integer labels become one-hot ``float32`` before mixing and the returned
    labels are ``(B, num_classes)`` ``float32`` rows summing to 1; otherwise labels pass
    through unchanged.

    Args:
        preset: Preset name, list of layers or pipeline (see :func:`augmentation`).
        num_classes: Needed when the augmentation mixes labels.

    Returns:
        The function, or ``None`` for an empty augmentation (nothing to map).

    Raises:
        ValueError: Labels are mixed and ``num_classes`` is not an integer >= 2.

    Example:
        >>> fn = augment_fn("strong", num_classes=5)  # doctest: +SKIP
        >>> train = data.train.map(fn)  # doctest: +SKIP

    """
    pipeline = augmentation(preset)
    if not pipeline.layers:
        return None
    import tensorflow as tf

    from foodvision.layers import layer_mixes_labels

    # Plain graph code: AutoGraph has nothing to convert and warns when it tries.
    if not layer_mixes_labels(pipeline):

        @tf.autograph.experimental.do_not_convert
        def augment_images(images: Any, labels: Any) -> tuple[Any, Any]:
            return pipeline(images, training=True), labels

        return augment_images

    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(
            f"this augmentation mixes labels (MixUp/CutMix): pass num_classes (an integer "
            f">= 2) so integer labels can be one-hot encoded, got {num_classes!r}"
        )

    @tf.autograph.experimental.do_not_convert
    def augment_images_and_labels(images: Any, labels: Any) -> tuple[Any, Any]:
        if labels.shape.rank == 1:
            labels = tf.one_hot(tf.cast(labels, tf.int32), num_classes, dtype=tf.float32)
        else:
            labels = tf.cast(labels, tf.float32)
        out = pipeline({"images": images, "labels": labels}, training=True)
        return out["images"], tf.cast(out["labels"], tf.float32)

    return augment_images_and_labels


def apply_augmentation(
    dataset: Any,
    preset: Any,
    num_classes: int | None = None,
    *,
    num_parallel_calls: int | None = None,
) -> Any:
    """Map an augmentation over a batched ``tf.data`` dataset of ``(images, labels)``.

    Args:
        dataset: Batched ``tf.data.Dataset`` of ``(images, int labels)``.
        preset: Preset name, list of layers or pipeline (see :func:`augmentation`).
        num_classes: Needed when the augmentation mixes labels (then labels come out
            one-hot ``float32``; see :func:`augment_fn`).
        num_parallel_calls: ``None`` (sequential: seeded runs are reproducible) or e.g.
            ``tf.data.AUTOTUNE`` (faster on many cores; random draws then land on batches
            in a nondeterministic order).

    Returns:
        The mapped dataset (``dataset`` itself for an empty augmentation).

    Example:
        >>> train = apply_augmentation(data.train, augmentation("strong", seed=0),  # doctest: +SKIP
        ...                            num_classes=len(data.class_names))

    """
    fn = augment_fn(preset, num_classes)
    if fn is None:
        return dataset
    return dataset.map(fn, num_parallel_calls=num_parallel_calls)
