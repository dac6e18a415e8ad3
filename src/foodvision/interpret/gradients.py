"""The only backend-specific code of foodvision's interpretability tools.

:func:`value_and_grad` evaluates ``fn(x) -> (scalar, aux)`` and the gradient of the scalar
with respect to ``x``, with one branch per Keras backend: ``jax.value_and_grad``,
``tf.GradientTape`` and ``torch.autograd.grad``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

SUPPORTED_BACKENDS = ("jax", "tensorflow", "torch")

ScalarFn = Callable[[Any], tuple[Any, Any]]


def value_and_grad(fn: ScalarFn, x: Any) -> tuple[Any, Any, Any]:
    """Return ``(value, aux, gradient)`` of ``value, aux = fn(x)`` with respect to ``x``.

    Args:
        fn: Function of one tensor returning a scalar tensor and any auxiliary output.
        x: The point at which to differentiate (anything ``keras.ops.convert_to_tensor``
            accepts).

    Returns:
        The scalar, the auxiliary output and ``d value / d x`` (same shape as ``x``), as
        backend tensors.

    Raises:
        ValueError: On a backend without automatic differentiation (numpy, openvino).

    Example:
        >>> value, _, grad = value_and_grad(lambda t: (keras.ops.sum(t**2), None), [1.0, 2.0])
        >>> keras.ops.convert_to_numpy(grad).tolist()
        [2.0, 4.0]

    """
    backend = keras.backend.backend()
    x = keras.ops.convert_to_tensor(x, dtype="float32")
    if backend == "jax":
        import jax

        (value, aux), grad = jax.value_and_grad(fn, has_aux=True)(x)
        return value, aux, grad
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            value, aux = fn(x)
        return value, aux, tape.gradient(value, x)
    if backend == "torch":
        import torch

        with torch.enable_grad():
            x = x.detach().clone().requires_grad_(True)
            value, aux = fn(x)
            (grad,) = torch.autograd.grad(value, x)
        return value.detach(), aux, grad.detach()
    raise ValueError(
        f"gradients are not available on the {backend!r} Keras backend; set KERAS_BACKEND "
        f"to one of {', '.join(SUPPORTED_BACKENDS)} before importing keras"
    )
