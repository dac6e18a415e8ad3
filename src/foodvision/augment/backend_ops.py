"""The tensor functions augmentation code runs on: Keras's, or TensorFlow's inside tf.data.

Augmentation transforms are written once against a ``keras.ops``-like namespace. On the
device they use :mod:`keras.ops` (the Keras backend: JAX, TensorFlow or PyTorch); in a
``tf.data`` pipeline they must build TensorFlow graph ops whatever the Keras backend is,
which :func:`tensorflow_ops` gives (Keras's own TensorFlow backend functions, the same
ones its preprocessing layers use inside ``tf.data``).
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

_SUBMODULES = ("numpy", "core", "nn", "math")


class BackendOps:
    """``keras.ops``-style functions of one Keras backend, looked up by name.

    Args:
        backend: A Keras backend name (``"tensorflow"``, ``"jax"``, ``"torch"``).

    Example:
        >>> tf_ops = BackendOps("tensorflow")  # doctest: +SKIP
        >>> tf_ops.where  # doctest: +SKIP
        <function where at ...>

    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._modules = [
            importlib.import_module(f"keras.src.backend.{backend}.{name}") for name in _SUBMODULES
        ]

    def __getattr__(self, name: str) -> Any:
        for module in self._modules:
            function = getattr(module, name, None)
            if function is not None:
                return function
        raise AttributeError(f"the {self.backend} backend has no tensor function {name!r}")


def device_ops() -> Any:
    """The Keras backend's functions (:mod:`keras.ops`), for augmentation on the device."""
    from keras import ops

    return ops


@cache
def tensorflow_ops() -> BackendOps:
    """TensorFlow's functions, for augmentation inside ``tf.data`` on any Keras backend."""
    return BackendOps("tensorflow")
