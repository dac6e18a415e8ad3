"""Run training on a copy of the model under a dtype policy or a device distribution.

Keras fixes a layer's dtype policy and a variable's device layout when they are created,
so mixed precision and data parallelism need the model to be built under them. Rather
than asking users to build models differently, :func:`training_copy` clones the model
under the requested policy and distribution, trains the clone, and copies the weights
back into the user's model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

from foodvision.base.tf_runtime import tensorflow

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
DISTRIBUTIONS = ("data_parallel",)


def resolve_distribution(distribution: Any) -> Any:
    """Return a ``keras.distribution`` object (e.g. ``DataParallel``) or ``None``.

    Args:
        distribution: ``None``, ``"data_parallel"`` (every device of the JAX backend) or
            a ``keras.distribution`` object such as ``DataParallel``.

    Raises:
        ValueError: For an unknown name, or when the backend is not JAX.
    """
    if distribution is None:
        return None
    named = isinstance(distribution, str)
    if named and distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"unknown distribution {distribution!r}; choose one of {', '.join(DISTRIBUTIONS)} "
            "or pass a keras.distribution.DataParallel / ModelParallel"
        )
    if not named and not hasattr(distribution, "scope"):
        raise ValueError(
            f"distribution must be a name or a keras distribution, got {distribution!r}"
        )
    if keras.backend.backend() != "jax":
        raise ValueError(
            f"distribution={distribution!r} needs the JAX backend (keras.distribution), "
            f"but the backend is {keras.backend.backend()!r}; set KERAS_BACKEND=jax"
        )
    if not named:
        return distribution
    return keras.distribution.DataParallel(devices=keras.distribution.list_devices())


def divisible_batches(dataset: Any, distribution: Any) -> Any:
    """Drop batches whose size the devices cannot share evenly (at most the last one).

    Data parallelism splits every batch across the devices, so a final partial batch of,
    say, 7 images on 2 devices cannot run; it is left out of that epoch (the training
    split is reshuffled every epoch, so every image is still seen).
    """
    if distribution is None or dataset is None:
        return dataset
    devices = int(distribution.device_mesh.shape[0])
    if devices <= 1:
        return dataset
    if hasattr(dataset, "divisible"):  # an ArraySplit
        return dataset.divisible(devices)
    tf = tensorflow()
    return dataset.filter(lambda images, labels: tf.shape(images)[0] % devices == 0)


def _with_policy(policy: str, output_name: str) -> Any:
    def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        # keep the output layer in float32 for a numerically stable softmax and loss
        config["dtype"] = "float32" if layer.name == output_name else policy
        return layer.__class__.from_config(config)

    return clone_layer


@contextlib.contextmanager
def training_copy(
    model: keras.Model, precision: str | None = None, distribution: Any = None
) -> Iterator[keras.Model]:
    """Yield the model to train, and copy its weights back into ``model`` afterwards.

    Without ``precision`` and ``distribution`` this is ``model`` itself.

    Args:
        model: A built Keras model.
        precision: ``None``/``"float32"``, ``"mixed_bfloat16"`` or ``"mixed_float16"``.
        distribution: See :func:`resolve_distribution`.

    Example:
        >>> with training_copy(model, precision="mixed_bfloat16") as copy:  # doctest: +SKIP
        ...     copy.fit(...)
    """
    if precision not in (None, *PRECISIONS):
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    resolved = resolve_distribution(distribution)
    if precision in (None, "float32") and resolved is None:
        yield model
        return
    scope = resolved.scope() if resolved is not None else contextlib.nullcontext()
    with scope:
        clone_function = None
        if precision not in (None, "float32"):
            clone_function = _with_policy(precision, model.layers[-1].name)
        copy = keras.models.clone_model(model, clone_function=clone_function, recursive=True)
        copy.set_weights(model.get_weights())
        if getattr(model, "compiled", False):
            copy.compile_from_config(model.get_compile_config())
        yield copy
    model.set_weights(copy.get_weights())
