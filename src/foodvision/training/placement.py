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

from foodvision.base.option_names import DISTRIBUTIONS
from foodvision.training.precision import resolve_precision


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
        if hasattr(distribution, "auto_shard_dataset"):
            # each process feeds its own share of every batch (training.batches)
            distribution.auto_shard_dataset = False
        return distribution
    return keras.distribution.DataParallel(
        devices=keras.distribution.list_devices(), auto_shard_dataset=False
    )


def device_count(distribution: Any) -> int:
    """How many devices share each batch: the batch axis of the distribution's mesh (1 without)."""
    if distribution is None:
        return 1
    mesh = distribution.device_mesh
    axis = getattr(distribution, "batch_dim_name", None) or mesh.axis_names[0]
    return int(mesh.shape[mesh.axis_names.index(axis)])


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

    Without ``precision`` and ``distribution`` this is ``model`` itself. Under a mixed
    policy the copy's own policy is the mixed one too, so compiling it under
    ``"mixed_float16"`` wraps the optimizer in Keras's ``LossScaleOptimizer`` (dynamic
    loss scaling: float16 gradients would underflow without it).

    Args:
        model: A built Keras model.
        precision: ``None``/``"float32"``, ``"mixed_bfloat16"``, ``"mixed_float16"`` or
            ``"auto"`` (see :func:`~foodvision.training.precision.resolve_precision`).
        distribution: See :func:`resolve_distribution`.

    Example:
        >>> with training_copy(model, precision="mixed_bfloat16") as copy:  # doctest: +SKIP
        ...     copy.fit(...)
    """
    policy = resolve_precision(precision)
    resolved = resolve_distribution(distribution)
    if policy == "float32" and resolved is None:
        yield model
        return
    scope = resolved.scope() if resolved is not None else contextlib.nullcontext()
    with scope:
        clone_function = None
        if policy != "float32":
            clone_function = _with_policy(policy, model.layers[-1].name)
        copy = keras.models.clone_model(model, clone_function=clone_function, recursive=True)
        if policy != "float32":
            copy.dtype_policy = policy  # compile() then adds loss scaling for float16
        copy.set_weights(model.get_weights())
        if getattr(model, "compiled", False):
            copy.compile_from_config(model.get_compile_config())
        yield copy
    model.set_weights(copy.get_weights())
