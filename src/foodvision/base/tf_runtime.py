"""TensorFlow for the input pipeline, kept off the accelerators unless Keras trains with it.

foodvision uses TensorFlow's ``tf.data`` to load images whatever the Keras backend is.
Left alone, TensorFlow maps every GPU it sees as soon as it creates its first op, and on a
machine with a full ``tensorflow`` install (Colab, Kaggle, NGC images) that takes the
memory JAX or PyTorch was going to train in. :func:`tensorflow` hides the GPUs from
TensorFlow before its first op whenever the Keras backend is not TensorFlow.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

_hidden: bool | None = None

START_UP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on|"
    r"cpu_feature_guard|This TensorFlow binary is optimized|To enable the following "
    r"instructions|rebuild TensorFlow with the appropriate compiler flags|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered|"
    r"TF-TRT Warning|could not find cuda drivers|Could not find cuda drivers"
)
"""Lines TensorFlow's C++ runtime prints on stderr while it loads (kept off the console)."""

SHOW_START_UP_ENV = "FOODVISION_SHOW_TF_LOGS"
"""Set to 1 to let TensorFlow's start-up lines through."""


@contextlib.contextmanager
def quiet_native_start_up() -> Iterator[None]:
    """Keep TensorFlow's C++ start-up lines (absl, oneDNN, CPU features) off stderr.

    They are written straight to file descriptor 2 while the library loads, before any
    Python logging exists, so the descriptor is pointed at a temporary file for the
    duration of the block; what was written there is then replayed, except the known
    start-up lines (:data:`START_UP_NOISE`). Set ``FOODVISION_SHOW_TF_LOGS=1`` to see
    everything.

    Example:
        >>> with quiet_native_start_up():
        ...     import keras  # doctest: +SKIP
    """
    if os.environ.get(SHOW_START_UP_ENV) == "1":
        yield
        return
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (some notebooks, services)
        yield
        return
    with tempfile.TemporaryFile() as captured:
        try:
            os.dup2(captured.fileno(), 2)
            yield
        finally:
            if sys.stderr is not None:
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines() if not START_UP_NOISE.search(line)]
            if kept and sys.stderr is not None:
                sys.stderr.write("\n".join(kept) + "\n")


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
    if "tensorflow" not in sys.modules:
        with quiet_native_start_up():
            import tensorflow as tf
    import tensorflow as tf

    if _hidden is None:
        _hidden = keras_backend() != "tensorflow"
        if _hidden:
            try:
                tf.config.set_visible_devices([], "GPU")
            except RuntimeError:  # TensorFlow had created ops before foodvision did
                if tf.config.list_physical_devices("GPU"):
                    logging.getLogger(__name__).warning(  # base cannot import FoodvisionWarning
                        "TensorFlow was initialised before foodvision could hide the GPUs "
                        "from it, so its tf.data pipeline may hold GPU memory that "
                        "%s needs; import foodvision's loaders before other "
                        "TensorFlow code, or set TF_FORCE_GPU_ALLOW_GROWTH=true",
                        keras_backend(),
                    )
    return tf
