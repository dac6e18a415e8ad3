"""Augmentation in a ``tf.data`` pipeline: parallel, with a stateless seed per batch.

Each batch is zipped with its own seed, drawn from ``tf.data.Dataset.random`` (seeded by
the pipeline's seed, new every epoch), so the map can run batches on every core and a
seeded pipeline still gives the same batches run after run. Pipelines holding Keras's
own augmentation layers (which keep a random state) are mapped one batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from foodvision.base.checks import check_int
from foodvision.base.tf_runtime import tensorflow


def _one_hot(labels: Any, num_classes: int | None) -> Any:
    tf = tensorflow()

    if labels.shape.rank is not None and labels.shape.rank > 1:
        return tf.cast(labels, tf.float32)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(
            f"this augmentation mixes labels (MixUp/CutMix): pass num_classes (an integer "
            f">= 2) so integer labels can be one-hot encoded, got {num_classes!r}"
        )
    return tf.one_hot(tf.cast(labels, tf.int32), num_classes, dtype=tf.float32)


def augment_fn(
    preset: Any, num_classes: int | None = None
) -> Callable[..., tuple[Any, Any]] | None:
    """A ``(images, labels[, seed]) -> (images, labels)`` function for ``tf.data`` maps.

    Images are a batch ``(B, H, W, 3)`` in 0..255; labels integer class indices ``(B,)``
    (or one-hot). When the augmentation mixes labels, the returned labels are
    ``(B, num_classes)`` ``float32`` rows summing to 1; otherwise they pass through.
    ``seed`` is the batch's ``int64`` seed pair; without it the function draws one (a
    stateful op: reproducible only in a sequential map). :func:`apply_augmentation`
    gives every batch its seed and maps in parallel: prefer it.

    Args:
        preset: Preset name, list of layers or pipeline (see
            :func:`foodvision.augmentation`).
        num_classes: Needed when the augmentation mixes labels.

    Returns:
        The function, or ``None`` for an empty augmentation (nothing to map).

    Raises:
        ValueError: Labels are mixed and ``num_classes`` is not an integer >= 2.

    Example:
        >>> fn = augment_fn("strong", num_classes=5)  # doctest: +SKIP
        >>> train = data.train.map(fn)  # doctest: +SKIP

    """
    tf = tensorflow()

    from foodvision.augment.presets import augmentation

    pipeline = augmentation(preset)
    if not pipeline.layers:
        return None
    mixes_labels = pipeline.mixes_labels
    if mixes_labels:
        _one_hot(tf.zeros((1,), tf.int32), num_classes)  # fail now, not inside the map
    if not pipeline.runs_on_device:
        return _keras_layers_fn(pipeline, num_classes)

    @tf.autograph.experimental.do_not_convert
    def augment(images: Any, labels: Any, seed: Any = None) -> tuple[Any, Any]:
        from foodvision.augment.backend_ops import tensorflow_ops
        from foodvision.augment.draws import StatelessDraws
        from foodvision.augment.mixing import mix_labels

        if seed is None:
            seed = tf.random.uniform((2,), maxval=2**62, dtype=tf.int64)

        def draws_for(index: int, layer: Any) -> StatelessDraws:
            return StatelessDraws(tf.random.experimental.stateless_fold_in(seed, index))

        ops = tensorflow_ops()
        images, mixes = pipeline.augment(images, ops, draws_for)
        if mixes_labels:
            labels = mix_labels(ops, _one_hot(labels, num_classes), mixes)
        return images, labels

    return augment


def _keras_layers_fn(pipeline: Any, num_classes: int | None) -> Callable[..., tuple[Any, Any]]:
    """Keras's own layers, called as a pipeline (their random state advances per batch)."""
    tf = tensorflow()

    if not pipeline.mixes_labels:

        @tf.autograph.experimental.do_not_convert
        def augment_images(images: Any, labels: Any) -> tuple[Any, Any]:
            return pipeline(images, training=True), labels

        return augment_images

    @tf.autograph.experimental.do_not_convert
    def augment_both(images: Any, labels: Any) -> tuple[Any, Any]:
        out = pipeline({"images": images, "labels": _one_hot(labels, num_classes)}, training=True)
        return out["images"], tf.cast(out["labels"], tf.float32)

    return augment_both


def batch_seeds(seed: int | None) -> Any:
    """An endless dataset of ``int64`` seed pairs ``(seed, k)``; ``k`` goes on across epochs.

    Each pass over the dataset (each epoch) starts where the previous one's numbers
    would continue, so every epoch draws new augmentations, and the same ``seed`` gives
    the same seeds in any process (unlike ``tf.data.Dataset.random``, whose stream also
    depends on TensorFlow's global seed). ``None`` draws a random seed.

    Example:
        >>> first = [tuple(s.numpy()) for s in batch_seeds(7).take(2)]  # doctest: +SKIP
        >>> first  # doctest: +SKIP
        [(7, 1048576), (7, 1048577)]

    """
    tf = tensorflow()
    import numpy as np

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    stride = 2**20  # batches per epoch, at most
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False)

    def start_epoch(_: Any) -> Any:
        return epoch.assign_add(1)

    def seeds_of(number: Any) -> Any:
        return tf.data.Dataset.range(stride).map(
            lambda k: tf.stack([tf.constant(seed, tf.int64), number * stride + k])
        )

    return tf.data.Dataset.range(1).map(start_epoch).flat_map(seeds_of)


def apply_augmentation(
    dataset: Any, preset: Any, num_classes: int | None = None, *, seed: int | None = None
) -> Any:
    """Map an augmentation over a batched ``tf.data`` dataset of ``(images, labels)``.

    Args:
        dataset: Batched ``tf.data.Dataset`` of ``(images, labels)``: images
            ``(B, H, W, 3)`` in 0..255, labels integer class indices ``(B,)`` or one-hot.
        preset: Preset name, list of layers or pipeline (see
            :func:`foodvision.augmentation`).
        num_classes: Needed when the augmentation mixes labels: labels then come out as
            ``(B, num_classes)`` ``float32`` rows summing to 1.
        seed: Seed of the per-batch seeds; default the pipeline's own seed (``None``:
            different batches every run).

    Returns:
        The mapped dataset (``dataset`` itself for an empty augmentation). Images come
        out ``float32``.

    Raises:
        ValueError: Labels are mixed and ``num_classes`` is not an integer >= 2.

    Example:
        >>> train = apply_augmentation(data.train, "strong", num_classes=5,
        ...                            seed=0)  # doctest: +SKIP

    """
    tf = tensorflow()

    from foodvision.augment.presets import augmentation

    pipeline = augmentation(preset)
    function = augment_fn(pipeline, num_classes)
    if function is None:
        return dataset
    if not pipeline.runs_on_device:
        return _map_keras_layers(dataset, function, pipeline)
    if seed is not None:
        seed = check_int("seed", seed, 0)
    seeds = batch_seeds(pipeline.seed if seed is None else seed)
    zipped = tf.data.Dataset.zip(dataset, seeds)
    if int(dataset.cardinality()) >= 0:  # keep it known: Keras warns at the end of each epoch
        zipped = zipped.apply(tf.data.experimental.assert_cardinality(dataset.cardinality()))
    return zipped.map(
        lambda batch, batch_seed: function(*batch, batch_seed),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )


def _map_keras_layers(dataset: Any, function: Any, pipeline: Any) -> Any:
    """Map Keras's layers one batch at a time (they keep random state).

    Raises:
        ValueError: Under the JAX or torch backend, a layer that is neither one of
            Keras's preprocessing layers nor foodvision's cannot run on TensorFlow
            tensors.
    """
    import keras

    try:
        return dataset.map(function)
    except Exception as error:  # raised while TensorFlow traces the layers
        if keras.backend.backend() == "tensorflow":
            raise  # every layer runs on TensorFlow tensors there: not this problem
        suspects = [type(x).__name__ for x in pipeline.layers if not _runs_in_tf_data(x)]
        if not suspects:
            raise
        raise ValueError(
            f"the augmentation layer(s) {', '.join(suspects)} could not run in a tf.data "
            f"pipeline under the {keras.backend.backend()} backend ({type(error).__name__}, "
            "above); use Keras's preprocessing layers (keras.layers.RandomFlip, "
            "RandomRotation, ...) or those of foodvision.augment.layers"
        ) from error


def _runs_in_tf_data(layer: Any) -> bool:
    """Whether ``layer`` is made to run in ``tf.data`` under any backend."""
    from foodvision.augment.layers import RandomTransform

    module = type(layer).__module__
    return isinstance(layer, RandomTransform) or module.startswith("keras.src.layers.preprocessing")
