"""The model registry: names -> small builder functions with frozen-dataclass defaults.

A builder is registered with :func:`register_model`; :func:`build_model` looks it up,
checks ``num_classes``, ``input_shape`` and the overrides against the builder's defaults
(before any layer is created) and calls it. Nothing here imports Keras: registering a
model at import time costs nothing.

Example:
    >>> import dataclasses
    >>> @dataclasses.dataclass(frozen=True)
    ... class TinyConfig:
    ...     units: int = 8
    >>> @register_model("tiny_example", family="example", config=TinyConfig,
    ...                 input_shape=(32, 32, 3), preprocessing="none")
    ... def tiny(config, *, num_classes, input_shape, name):
    ...     '''A tiny example model.'''
    ...     ...
    >>> get_model_spec("tiny_example").hyperparameters["units"]
    8
    >>> unregister_model("tiny_example")

"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from foodvision.base.checks import check_int

Builder = Callable[..., Any]
"""``builder(config, *, num_classes, input_shape, name) -> keras.Model``."""

_REGISTRY: dict[str, ModelSpec] = {}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the registry knows about one model name.

    Attributes:
        name: Registry name, also the name of the built ``keras.Model``.
        family: ``"cnn"`` (trained from scratch) or ``"transfer"`` (ImageNet backbone).
        input_shape: Default ``(height, width, channels)``.
        preprocessing: How raw RGB 0..255 is normalised inside the model.
        hyperparameters: The builder's defaults (read-only mapping); any of them can be
            overridden by keyword in :func:`build_model`.
        description: One line about the model.
        reference: Paper or documentation the model follows.
        augmentation: Name of the augmentation preset the model is meant to be trained
            with (see :func:`foodvision.augmentation`); applied by
            :func:`foodvision.train` with ``augmentation="auto"`` (inside the train step
            by default).
        min_input_size: Smallest height and width the default configuration accepts
            (configs with a ``min_input_size()`` method refine it per build).
        blocks: For backbones, the names of the layers that end each block, bottom to
            top (the last one is the backbone's output); empty when the block structure
            depends on the configuration (see :func:`foodvision.models.block_boundaries`).
        config_class: The frozen dataclass holding the builder's defaults.
        builder: The registered builder function.

    Example:
        >>> spec = get_model_spec("baseline_cnn")
        >>> spec.family, spec.input_shape[2]
        ('cnn', 3)

    """

    name: str
    family: str
    input_shape: tuple[int, int, int]
    preprocessing: str
    hyperparameters: Mapping[str, Any] = dataclasses.field(hash=False)
    description: str = ""
    reference: str = ""
    augmentation: str = "none"
    min_input_size: int = 8
    blocks: tuple[str, ...] = ()
    config_class: type = dataclasses.field(default=object, repr=False, compare=False)
    builder: Builder | None = dataclasses.field(default=None, repr=False, compare=False)

    def make_config(self, **overrides: Any) -> Any:
        """Return the builder's default config with ``overrides`` applied.

        Raises:
            ValueError: An override is not one of the builder's options, or its value
                is rejected by the config's own checks.

        """
        accepted = [f.name for f in dataclasses.fields(self.config_class)]
        unknown = sorted(set(overrides) - set(accepted))
        if unknown:
            hints = []
            for key in unknown:
                close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ValueError(
                f"unknown option(s) for model {self.name!r}: {', '.join(hints)}. "
                f"Accepted: {', '.join(accepted)}"
            )
        return self.config_class(**overrides)


def _is_frozen_dataclass(cls: Any) -> bool:
    params = getattr(cls, "__dataclass_params__", None)
    return isinstance(cls, type) and params is not None and params.frozen


def _check_shape(shape: Any, what: str) -> tuple[int, int, int]:
    try:
        values = tuple(int(v) for v in shape)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} must be (height, width, 3), got {shape!r}") from err
    if len(values) != 3 or values[2] != 3 or min(values) < 1:
        raise ValueError(
            f"{what} must be (height, width, 3) with positive sizes (models take RGB), "
            f"got {shape!r}"
        )
    return values  # type: ignore[return-value]


def register_model(
    name: str,
    *,
    family: str,
    config: type,
    input_shape: tuple[int, int, int],
    preprocessing: str,
    description: str | None = None,
    reference: str = "",
    augmentation: str = "none",
    min_input_size: int = 8,
    blocks: tuple[str, ...] = (),
) -> Callable[[Builder], Builder]:
    """Register a builder function under ``name`` (decorator).

    The builder is called as ``builder(config, num_classes=..., input_shape=...,
    name=...)`` with an instance of ``config`` (a frozen dataclass) and must return a
    ``keras.Model`` named ``name`` that takes raw RGB images in 0..255.

    Args:
        name: Registry name (unique).
        family: Model family, e.g. ``"cnn"`` or ``"transfer"``.
        config: Frozen dataclass whose fields are the builder's options and defaults.
        input_shape: Default ``(height, width, 3)``.
        preprocessing: How the model normalises its raw input (for humans).
        description: One line; defaults to the first line of the builder's docstring.
        reference: Paper or documentation.
        augmentation: Augmentation preset the model is meant to be trained with.
        min_input_size: Smallest height/width of the default configuration. When the
            config class has a ``min_input_size()`` method, :func:`build_model` asks the
            configured instance instead (e.g. a CNN's depth sets it).
        blocks: Block-boundary layer names, bottom to top (backbones).

    Returns:
        The decorator; it returns the builder unchanged.

    Raises:
        ValueError: ``name`` is taken or ``config`` is not a frozen dataclass.

    Example:
        >>> @register_model("my_cnn", family="cnn", config=MyConfig,  # doctest: +SKIP
        ...                 input_shape=(64, 64, 3), preprocessing="x / 255")
        ... def my_cnn(config, *, num_classes, input_shape, name): ...

    """
    if not _is_frozen_dataclass(config):
        raise ValueError(f"config for model {name!r} must be a frozen dataclass, got {config!r}")
    default_shape = _check_shape(input_shape, f"default input_shape of {name!r}")

    def decorator(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered; pick another name")
        doc = (builder.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ModelSpec(
            name=name,
            family=family,
            input_shape=default_shape,
            preprocessing=preprocessing,
            hyperparameters=MappingProxyType(dataclasses.asdict(config())),
            description=description if description is not None else (doc[0] if doc else ""),
            reference=reference,
            augmentation=augmentation,
            min_input_size=int(min_input_size),
            blocks=tuple(blocks),
            config_class=config,
            builder=builder,
        )
        return builder

    return decorator


def registered_spec(name: str) -> ModelSpec | None:
    """The :class:`ModelSpec` registered under ``name``, or ``None`` (never raises).

    Example:
        >>> registered_spec("no_such_model") is None
        True
    """
    return _REGISTRY.get(name)


def unregister_model(name: str) -> None:
    """Remove ``name`` from the registry (for tests and interactive experiments)."""
    get_model_spec(name)
    del _REGISTRY[name]


def list_models(pattern: str = "*") -> list[str]:
    """Sorted registered names matching an ``fnmatch`` pattern.

    Example:
        >>> "vgg16_finetune" in list_models("vgg*")
        True

    """
    return sorted(fnmatch.filter(_REGISTRY, pattern))


def _suggestions(name: str, names: list[str]) -> list[str]:
    def score(candidate: str) -> float:
        whole = difflib.SequenceMatcher(None, name, candidate).ratio()
        prefix = difflib.SequenceMatcher(None, name, candidate[: len(name)]).ratio()
        return max(whole, prefix)

    scored = sorted(((score(c), c) for c in names), reverse=True)
    return [c for s, c in scored if s >= 0.6][:3]


def get_model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` registered under ``name``.

    Raises:
        ValueError: Unknown name; the message suggests the closest registered names
            and lists them all.

    Example:
        >>> get_model_spec("vgg16_finetune").family
        'transfer'

    """
    if not isinstance(name, str) or name not in _REGISTRY:
        names = list_models()
        close = _suggestions(str(name), names)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown model {name!r}{hint} Available: {', '.join(names)}")
    return _REGISTRY[name]


def build_model(
    name: str,
    num_classes: int = 5,
    input_shape: tuple[int, int, int] | None = None,
    **overrides: Any,
) -> Any:
    """Build the registered model ``name`` as a ``keras.Model``.

    Every model takes raw RGB images in 0..255 (uint8 or float) and outputs a softmax
    over ``num_classes``; its preprocessing is inside the model.

    Args:
        name: A name from :func:`list_models`.
        num_classes: Number of classes (at least 2).
        input_shape: ``(height, width, 3)``; defaults to the spec's ``input_shape``.
        **overrides: Builder options (see ``get_model_spec(name).hyperparameters``).

    Returns:
        An uncompiled ``keras.Model`` named ``name``.

    Raises:
        ValueError: Unknown name or option, bad option value, ``num_classes`` or
            ``input_shape`` (too small for the configuration); raised before any layer is
            built.

    Example:
        >>> model = build_model("deeper_cnn", num_classes=5,  # doctest: +SKIP
        ...                     input_shape=(128, 128, 3), dropout=0.3)

    """
    spec = get_model_spec(name)
    check_int("num_classes", num_classes, 2)
    shape = spec.input_shape if input_shape is None else _check_shape(input_shape, "input_shape")
    config = spec.make_config(**overrides)
    minimum = getattr(config, "min_input_size", None)
    minimum = minimum() if callable(minimum) else spec.min_input_size
    if min(shape[:2]) < minimum:
        raise ValueError(
            f"input_shape {shape} is too small for {name!r}: height and width must be at "
            f"least {minimum}"
        )
    return spec.builder(config, num_classes=num_classes, input_shape=shape, name=name)
