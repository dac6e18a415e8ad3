"""TensorFlow for the input pipeline, kept off the accelerators unless Keras trains with it.

foodvision uses TensorFlow's ``tf.data`` to load images whatever the Keras backend is.
Left alone, TensorFlow maps every GPU it sees as soon as it creates its first op, and on a
machine with a full ``tensorflow`` install (Colab, Kaggle, NGC images) that takes the
memory JAX or PyTorch was going to train in. :func:`tensorflow` hides the GPUs from
TensorFlow before its first op whenever the Keras backend is not TensorFlow.
"""

from __future__ import annotations

import warnings
from types import ModuleType

_hidden: bool | None = None


def keras_backend() -> str:
    """The Keras backend's name (imports Keras)."""
    import keras

    return keras.backend.backend()


def tensorflow() -> ModuleType:
    """``import tensorflow``, with its GPUs hidden when the Keras backend is not TensorFlow.

    Call it instead of ``import tensorflow`` wherever foodvision creates TensorFlow ops.

    Example:
        >>> tf = tensorflow()  # doctest: +SKIP
        >>> tf.config.get_visible_devices("GPU")  # with KERAS_BACKEND=jax  # doctest: +SKIP
        []

    """
    global _hidden
    import tensorflow as tf

    if _hidden is None:
        _hidden = keras_backend() != "tensorflow"
        if _hidden:
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:  # TensorFlow had created ops before foodvision did
                if tf.config.list_physical_devices("GPU"):
                    warnings.warn(
                        "TensorFlow was initialised before foodvision could hide the GPUs "
                        "from it, so its tf.data pipeline may hold GPU memory that "
                        f"{keras_backend()} needs; import foodvision's loaders before other "
                        "TensorFlow code, or set TF_FORCE_GPU_ALLOW_GROWTH=true",
                        stacklevel=2,
                    )
    return tf
