"""Per-layer learning rates: each layer's step at a fixed factor of the optimizer's rate.

Fine-tuning a pretrained network often trains its lower blocks more gently than its top
(discriminative fine-tuning): generic features near the input need less change than the
task-specific ones near the output. Keras optimizers have one learning rate (or schedule)
for every variable; the optimizers here scale it per variable, inside the optimizer's own
update rule, so a factor of 0.5 halves that variable's Adam step (scaling its gradient
instead would not: Adam divides the gradient's scale out).

The factors are keyed by variable path (``"block4_conv1/kernel"``), so they survive
``keras.models.clone_model`` and a compile config round trip (mixed precision and
device placement train such a copy); the classes are registered for Keras's
serialization. Decoupled weight decay is not scaled: it stays at the optimizer's rate.

Example:
    >>> factors = layer_rate_factors(model, {"block4_conv1": 0.5})  # doctest: +SKIP
    >>> optimizer = make_optimizer("adam", 1e-4, rate_factors=factors)  # doctest: +SKIP
    >>> model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import keras

from foodvision.base.checks import check_positive
from foodvision.base.log import FoodvisionWarning


class _RateFactors:
    """Mixin for a Keras optimizer: ``rate_factors`` scales each variable's learning rate."""

    def __init__(self, *args: Any, rate_factors: Mapping[str, float] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rate_factors = {str(k): float(v) for k, v in (rate_factors or {}).items()}
        self._factor_of_index: list[float] = []

    def build(self, variables: list[Any]) -> None:
        if self.built:  # its variable indices stay those of the first build
            return
        super().build(variables)
        self._factor_of_index = [self.rate_factors.get(v.path, 1.0) for v in variables]
        if self.rate_factors and not set(self.rate_factors) & {v.path for v in variables}:
            # a warning, not an error: a saved model compiled with it must still load
            warnings.warn(
                "none of the rate factors' variables is trained by this optimizer "
                f"({sorted(self.rate_factors)[:3]}...): every variable trains at the full rate",
                FoodvisionWarning,
                stacklevel=2,
            )

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        factor = self._factor_of_index[self._get_variable_index(variable)]
        if factor != 1.0:
            learning_rate = learning_rate * factor
        super().update_step(gradient, variable, learning_rate)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate_factors": dict(self.rate_factors)}


@keras.saving.register_keras_serializable(package="foodvision")
class AdamWithRateFactors(_RateFactors, keras.optimizers.Adam):
    """``keras.optimizers.Adam`` with per-variable learning-rate factors."""


@keras.saving.register_keras_serializable(package="foodvision")
class AdamWWithRateFactors(_RateFactors, keras.optimizers.AdamW):
    """``keras.optimizers.AdamW`` with per-variable learning-rate factors."""


@keras.saving.register_keras_serializable(package="foodvision")
class SGDWithRateFactors(_RateFactors, keras.optimizers.SGD):
    """``keras.optimizers.SGD`` with per-variable learning-rate factors."""


@keras.saving.register_keras_serializable(package="foodvision")
class RMSpropWithRateFactors(_RateFactors, keras.optimizers.RMSprop):
    """``keras.optimizers.RMSprop`` with per-variable learning-rate factors."""


SCALED_OPTIMIZERS = {
    "adam": AdamWithRateFactors,
    "adamw": AdamWWithRateFactors,
    "sgd": SGDWithRateFactors,
    "rmsprop": RMSpropWithRateFactors,
}
"""The optimizer of each name in :data:`foodvision.training.schedules.OPTIMIZERS`, scaled."""


def layer_rate_factors(model: Any, factors: Mapping[str, float] | None) -> dict[str, float]:
    """Per-variable factors (by path) from per-layer ones (by layer name).

    Args:
        model: The model whose layers are named in ``factors``.
        factors: ``{layer name: factor}``; every variable of that layer (its nested
            layers' too) trains at ``factor`` times the optimizer's rate. Layers not
            named train at the full rate; ``None`` names none.

    Returns:
        ``{variable path: factor}`` for
        :func:`~foodvision.training.schedules.make_optimizer`.

    Raises:
        ValueError: A name is not a layer of ``model``, or a factor is not positive.

    Example:
        >>> layer_rate_factors(model, {"block4_conv1": 0.5})  # doctest: +SKIP
        {'block4_conv1/kernel': 0.5, 'block4_conv1/bias': 0.5}
    """
    factors = factors or {}
    layers = {layer.name: layer for layer in model.layers}
    unknown = sorted(set(factors) - set(layers))
    if unknown:
        raise ValueError(f"rate_factors names layers that {model.name!r} does not have: {unknown}")
    by_path = {}
    for name, factor in factors.items():
        check_positive(f"the rate factor of {name!r}", factor)
        for variable in layers[name].weights:
            by_path[variable.path] = float(factor)
    return by_path


def check_rate_factors(model: Any, optimizer: Any, factors: Mapping[str, float] | None) -> None:
    """Refuse ``factors`` (by layer name) that training ``model`` would not apply.

    They apply through an optimizer given by name; an optimizer object is used as given,
    and a compiled model keeps its optimizer, which must then have these factors already.

    Raises:
        ValueError: A layer name is unknown or a factor is not positive (see
            :func:`layer_rate_factors`), or the factors would be ignored.

    Example:
        >>> check_rate_factors(model, "adam", {"block4_conv1": 0.5})  # doctest: +SKIP
    """
    by_path = layer_rate_factors(model, factors)
    if not by_path:
        return
    if isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(
            "rate_factors apply to an optimizer given by name ('adam', 'adamw', 'sgd', "
            "'rmsprop'); an optimizer object is used as given"
        )
    compiled = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    inner = getattr(compiled, "inner_optimizer", compiled)  # under loss scaling
    if compiled is not None and getattr(inner, "rate_factors", None) != by_path:
        raise ValueError(
            f"{model.name!r} is compiled already, with an optimizer without these rate "
            "factors: it keeps that optimizer. Give a model that is not compiled"
        )
