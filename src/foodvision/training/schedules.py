"""Optimizers and learning-rate schedules by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from foodvision.base.option_names import SCHEDULES
from foodvision.training.rate_factors import SCALED_OPTIMIZERS

OPTIMIZERS = {
    "adam": keras.optimizers.Adam,
    "adamw": keras.optimizers.AdamW,
    "sgd": keras.optimizers.SGD,
    "rmsprop": keras.optimizers.RMSprop,
}


def learning_rate_schedule(
    schedule: str, learning_rate: float, total_steps: int, warmup_steps: int = 0
) -> Any:
    """Return a learning rate or schedule for ``keras.optimizers``.

    Args:
        schedule: ``"constant"`` (also used by ``"plateau"``, whose reductions come from
            a callback) or ``"cosine"`` (cosine decay to 0 over ``total_steps``, after a
            linear warm-up from 0 over ``warmup_steps``).
        learning_rate: Peak learning rate.
        total_steps: Optimizer steps of the whole run.
        warmup_steps: Linear warm-up steps (cosine only).

    Example:
        >>> rate = learning_rate_schedule("cosine", 1e-3, total_steps=1000, warmup_steps=100)

    """
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    if schedule != "cosine":
        return learning_rate
    warmup_steps = min(max(0, int(warmup_steps)), max(total_steps - 1, 0))
    decay_steps = max(1, total_steps - warmup_steps)
    if warmup_steps == 0:
        return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps, warmup_target=learning_rate, warmup_steps=warmup_steps
    )


def make_optimizer(
    optimizer: str | keras.optimizers.Optimizer,
    learning_rate: Any,
    weight_decay: float = 0.0,
    rate_factors: Mapping[str, float] | None = None,
) -> keras.optimizers.Optimizer:
    """Return an optimizer by name (``adam``, ``adamw``, ``sgd``, ``rmsprop``) or as given.

    ``weight_decay`` > 0 is Keras's decoupled weight decay of that optimizer (``adamw``
    keeps its own default of 0.004 otherwise); ``rate_factors`` (``{variable path:
    factor}``, see :mod:`foodvision.training.rate_factors`) scales those variables'
    learning rate. An optimizer object is returned as given.

    Example:
        >>> make_optimizer("adam", 1e-3, weight_decay=0.05).weight_decay
        0.05
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        return optimizer
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)} "
            "or pass a keras.optimizers.Optimizer"
        )
    options: dict[str, Any] = {"weight_decay": float(weight_decay)} if weight_decay else {}
    if optimizer == "sgd":
        options["momentum"] = 0.9
    if rate_factors:
        return SCALED_OPTIMIZERS[optimizer](learning_rate, rate_factors=rate_factors, **options)
    return OPTIMIZERS[optimizer](learning_rate, **options)
