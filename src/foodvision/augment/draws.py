"""Random numbers for augmentation: stateful on the device, stateless per batch in tf.data.

A transform asks a :class:`Draws` for what it needs (uniform numbers, Beta-distributed
mixing weights); where they come from depends on where it runs:

- :class:`DeviceDraws` advances a ``keras.random.SeedGenerator`` (a model variable), so
  the draws are part of the compiled train step and a resumed run restores them.
- :class:`StatelessDraws` derives every draw from one seed per batch, so a ``tf.data`` map
  can run batches in parallel and still give the same batches for the same seed.
"""

from __future__ import annotations

from typing import Any, Protocol

from foodvision.base.tf_runtime import tensorflow


class Draws(Protocol):
    """Where a transform gets its random numbers (``float32`` tensors)."""

    def uniform(self, shape: tuple, low: float = 0.0, high: float = 1.0) -> Any:
        """Uniform numbers in ``[low, high)``."""

    def beta(self, shape: tuple, alpha: float) -> Any:
        """Numbers from ``Beta(alpha, alpha)`` (mixing weights)."""


class DeviceDraws:
    """Draws from a ``keras.random.SeedGenerator`` with the Keras backend.

    Example:
        >>> import keras
        >>> draws = DeviceDraws(keras.random.SeedGenerator(0))
        >>> tuple(draws.uniform((2, 3)).shape)
        (2, 3)

    """

    def __init__(self, seed_generator: Any) -> None:
        self.seed_generator = seed_generator

    def uniform(self, shape: tuple, low: float = 0.0, high: float = 1.0) -> Any:
        """Uniform numbers in ``[low, high)``."""
        import keras

        return keras.random.uniform(shape, low, high, dtype="float32", seed=self.seed_generator)

    def beta(self, shape: tuple, alpha: float) -> Any:
        """Numbers from ``Beta(alpha, alpha)``."""
        import keras

        return keras.random.beta(shape, alpha, alpha, dtype="float32", seed=self.seed_generator)


class StatelessDraws:
    """Draws derived from one ``int64`` seed pair with TensorFlow's stateless random ops.

    Every call folds a counter into the seed, so the k-th draw of a batch depends only on
    the batch's seed and ``k``: batches can be augmented in any order, on any thread.

    Args:
        seed: ``int64`` tensor of shape ``(2,)``.

    """

    def __init__(self, seed: Any) -> None:
        self.seed = seed
        self._count = 0

    def _next_seed(self) -> Any:
        tf = tensorflow()

        self._count += 1
        return tf.random.experimental.stateless_fold_in(self.seed, self._count)

    def uniform(self, shape: tuple, low: float = 0.0, high: float = 1.0) -> Any:
        """Uniform numbers in ``[low, high)``."""
        tf = tensorflow()

        return tf.random.stateless_uniform(
            shape, seed=self._next_seed(), minval=low, maxval=high, dtype=tf.float32
        )

    def beta(self, shape: tuple, alpha: float) -> Any:
        """Numbers from ``Beta(alpha, alpha)``, as ``G1 / (G1 + G2)`` of two Gamma draws."""
        tf = tensorflow()

        first = tf.random.stateless_gamma(shape, self._next_seed(), alpha=alpha)
        second = tf.random.stateless_gamma(shape, self._next_seed(), alpha=alpha)
        return first / tf.maximum(first + second, 1e-12)
