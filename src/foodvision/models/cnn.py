"""Convolutional networks trained from scratch: steps 1 to 4 of the study.

Each model starts with ``Rescaling(1/255)`` so it takes raw RGB in 0..255. Layers are
named ``block{i}_conv{j}``, ``block{i}_bn{j}``, ``block{i}_relu{j}``,
``block{i}_spatial_dropout``, ``block{i}_pool``, then ``head_flatten`` (or
``head_pool``), ``head_dense``, ``head_dropout`` and ``predictions``; ``block{i}_pool``
ends block ``i``.

Example:
    >>> import foodvision as fv
    >>> model = fv.build_model("deeper_cnn", num_classes=5, input_shape=(64, 64, 3),
    ...                        depth=3, batch_norm=True)  # doctest: +SKIP

"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from foodvision.models._registry import register_model

_CNN_INPUT_SHAPE = (128, 128, 3)
_RESCALE = "Rescaling(1/255) inside the model: raw RGB 0..255 in"
_POOLINGS = ("flatten", "avg")

TRAINING_HYPERPARAMETERS = frozenset(
    {
        "learning_rate",
        "optimizer",
        "weight_decay",
        "batch_size",
        "epochs",
        "label_smoothing",
        "augmentation",
    }
)
"""Keys a tuning result may hold that configure training, not the model:
``tuned_cnn`` accepts and ignores them (see :func:`split_hyperparameters`)."""


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bound = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be an integer {bound}, got {value!r}")


def _check_rate(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")


def _check_input_size(input_shape: tuple[int, int, int], pools: int, model: str) -> None:
    need = 2**pools
    if min(input_shape[:2]) < need:
        raise ValueError(
            f"input_shape {tuple(input_shape)} is too small for {model!r} with {pools} "
            f"pooling blocks: height and width must be at least {need}"
        )


@dataclasses.dataclass(frozen=True)
class BaselineCNNConfig:
    """Options of ``baseline_cnn``.

    Attributes:
        conv_blocks: 1 or 2 blocks of conv + ReLU + 2x2 max-pool.
        filters: Filters of the first block (doubled in the second).
        kernel_size: Convolution kernel size.
        dense_units: Units of the hidden dense layer.

    """

    conv_blocks: int = 2
    filters: int = 32
    kernel_size: int = 3
    dense_units: int = 128

    def __post_init__(self) -> None:
        _check_int("conv_blocks", self.conv_blocks, 1, 2)
        _check_int("filters", self.filters, 1)
        _check_int("kernel_size", self.kernel_size, 1)
        _check_int("dense_units", self.dense_units, 1)

    def min_input_size(self) -> int:
        """Smallest height/width: each block halves the image."""
        return 2**self.conv_blocks


@dataclasses.dataclass(frozen=True)
class DeeperCNNConfig:
    """Options of ``deeper_cnn`` (and of ``augmented_cnn`` and ``tuned_cnn``).

    Attributes:
        depth: Number of conv blocks, each ending in a 2x2 max-pool.
        filters: Filters of the first block.
        filter_growth: Factor between the filters of consecutive blocks.
        max_filters: Cap on the filters of a block.
        convs_per_block: Convolutions in each block.
        kernel_size: Convolution kernel size.
        dense_units: Units of the hidden dense layer (0: none).
        batch_norm: Batch normalisation after each convolution.
        spatial_dropout: ``SpatialDropout2D`` rate at the end of each block (0: none).
        dropout: Dropout rate before the output layer (0: none).
        pooling: ``"flatten"`` or ``"avg"`` (global average pooling) before the head.

    """

    depth: int = 4
    filters: int = 32
    filter_growth: float = 2.0
    max_filters: int = 256
    convs_per_block: int = 1
    kernel_size: int = 3
    dense_units: int = 128
    batch_norm: bool = False
    spatial_dropout: float = 0.0
    dropout: float = 0.0
    pooling: str = "flatten"

    def __post_init__(self) -> None:
        _check_int("depth", self.depth, 1, 8)
        _check_int("filters", self.filters, 1)
        _check_int("max_filters", self.max_filters, 1)
        _check_int("convs_per_block", self.convs_per_block, 1)
        _check_int("kernel_size", self.kernel_size, 1)
        _check_int("dense_units", self.dense_units, 0)
        if isinstance(self.filter_growth, bool) or not isinstance(self.filter_growth, (int, float)):
            raise ValueError(f"filter_growth must be a number >= 1, got {self.filter_growth!r}")
        if self.filter_growth < 1:
            raise ValueError(f"filter_growth must be a number >= 1, got {self.filter_growth!r}")
        if not isinstance(self.batch_norm, bool):
            raise ValueError(f"batch_norm must be True or False, got {self.batch_norm!r}")
        _check_rate("spatial_dropout", self.spatial_dropout)
        _check_rate("dropout", self.dropout)
        if self.pooling not in _POOLINGS:
            raise ValueError(f"pooling must be one of {_POOLINGS}, got {self.pooling!r}")

    def min_input_size(self) -> int:
        """Smallest height/width: each block halves the image.

        Example:
            >>> DeeperCNNConfig(depth=3).min_input_size()
            8

        """
        return 2**self.depth

    def block_filters(self) -> list[int]:
        """Filters of each block.

        Example:
            >>> DeeperCNNConfig(depth=4, filters=32, max_filters=128).block_filters()
            [32, 64, 128, 128]

        """
        return [
            min(self.max_filters, int(round(self.filters * self.filter_growth**i)))
            for i in range(self.depth)
        ]


@dataclasses.dataclass(frozen=True)
class AugmentedCNNConfig(DeeperCNNConfig):
    """``deeper_cnn`` options with dropout on (spatial 0.1, dense 0.5)."""

    spatial_dropout: float = 0.1
    dropout: float = 0.5


@dataclasses.dataclass(frozen=True)
class TunedCNNConfig(AugmentedCNNConfig):
    """The step-3 model's options plus ``hyperparameters``, a dict from the tuning step.

    Keys of ``hyperparameters`` override the fields of the same name; keys in
    :data:`TRAINING_HYPERPARAMETERS` (``learning_rate``...) are accepted and ignored here
    (they configure training); any other key is an error.
    """

    hyperparameters: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hyperparameters is not None:
            architecture, _ = split_hyperparameters(self.hyperparameters)
            DeeperCNNConfig(**{**_deeper_fields(self), **architecture})

    def min_input_size(self) -> int:
        """Smallest height/width of the resolved configuration."""
        return self.resolved().min_input_size()

    def resolved(self) -> DeeperCNNConfig:
        """The ``DeeperCNNConfig`` the model is built from."""
        architecture, _ = split_hyperparameters(self.hyperparameters or {})
        return DeeperCNNConfig(**{**_deeper_fields(self), **architecture})


def _deeper_fields(config: DeeperCNNConfig) -> dict[str, Any]:
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(DeeperCNNConfig)}


def split_hyperparameters(
    hyperparameters: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a tuning result into (architecture options, training options).

    Raises:
        ValueError: A key is neither a ``deeper_cnn`` option nor in
            :data:`TRAINING_HYPERPARAMETERS`.

    Example:
        >>> split_hyperparameters({"depth": 3, "learning_rate": 1e-3})
        ({'depth': 3}, {'learning_rate': 0.001})

    """
    if not isinstance(hyperparameters, Mapping):
        raise ValueError(f"hyperparameters must be a dict, got {hyperparameters!r}")
    architecture_keys = [f.name for f in dataclasses.fields(DeeperCNNConfig)]
    unknown = sorted(set(hyperparameters) - set(architecture_keys) - TRAINING_HYPERPARAMETERS)
    if unknown:
        raise ValueError(
            f"unknown hyperparameter(s) {unknown} for tuned_cnn. Accepted: "
            f"{', '.join(architecture_keys)} (model) and "
            f"{', '.join(sorted(TRAINING_HYPERPARAMETERS))} (training, ignored by the model)"
        )
    architecture = {k: v for k, v in hyperparameters.items() if k in architecture_keys}
    training = {k: v for k, v in hyperparameters.items() if k in TRAINING_HYPERPARAMETERS}
    return architecture, training


def _conv_block(x: Any, index: int, filters: int, config: DeeperCNNConfig) -> Any:
    from keras import layers

    for j in range(1, config.convs_per_block + 1):
        x = layers.Conv2D(
            filters,
            config.kernel_size,
            padding="same",
            use_bias=not config.batch_norm,
            name=f"block{index}_conv{j}",
        )(x)
        if config.batch_norm:
            x = layers.BatchNormalization(name=f"block{index}_bn{j}")(x)
        x = layers.ReLU(name=f"block{index}_relu{j}")(x)
    if config.spatial_dropout:
        x = layers.SpatialDropout2D(config.spatial_dropout, name=f"block{index}_spatial_dropout")(x)
    return layers.MaxPooling2D(2, name=f"block{index}_pool")(x)


def _deeper(
    config: DeeperCNNConfig, num_classes: int, input_shape: tuple[int, int, int], name: str
) -> Any:
    import keras
    from keras import layers

    _check_input_size(input_shape, config.depth, name)
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    for index, filters in enumerate(config.block_filters(), start=1):
        x = _conv_block(x, index, filters, config)
    if config.pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="head_pool")(x)
    else:
        x = layers.Flatten(name="head_flatten")(x)
    if config.dense_units:
        x = layers.Dense(config.dense_units, activation="relu", name="head_dense")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="head_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        x
    )
    return keras.Model(inputs, outputs, name=name)


@register_model(
    "baseline_cnn",
    family="cnn",
    config=BaselineCNNConfig,
    input_shape=_CNN_INPUT_SHAPE,
    preprocessing=_RESCALE,
    reference="Study step 1; LeCun et al. 1998 (conv + pool + dense)",
    min_input_size=2**BaselineCNNConfig.conv_blocks,
)
def baseline_cnn(
    config: BaselineCNNConfig, *, num_classes: int, input_shape: tuple[int, int, int], name: str
) -> Any:
    """Baseline: one or two conv + max-pool blocks and a dense head (step 1)."""
    deeper = DeeperCNNConfig(
        depth=config.conv_blocks,
        filters=config.filters,
        kernel_size=config.kernel_size,
        dense_units=config.dense_units,
    )
    return _deeper(deeper, num_classes, input_shape, name)


@register_model(
    "deeper_cnn",
    family="cnn",
    config=DeeperCNNConfig,
    input_shape=_CNN_INPUT_SHAPE,
    preprocessing=_RESCALE,
    reference="Study step 2; Simonyan & Zisserman 2015 (stacked conv blocks)",
    min_input_size=2**DeeperCNNConfig.depth,
)
def deeper_cnn(
    config: DeeperCNNConfig, *, num_classes: int, input_shape: tuple[int, int, int], name: str
) -> Any:
    """Deeper CNN: configurable conv + max-pool blocks, optional batch norm (step 2)."""
    return _deeper(config, num_classes, input_shape, name)


@register_model(
    "augmented_cnn",
    family="cnn",
    config=AugmentedCNNConfig,
    input_shape=_CNN_INPUT_SHAPE,
    preprocessing=_RESCALE,
    reference="Study step 3; Srivastava et al. 2014 (dropout), Tompson et al. 2015 (spatial)",
    augmentation="standard",
    min_input_size=2**AugmentedCNNConfig.depth,
)
def augmented_cnn(
    config: AugmentedCNNConfig, *, num_classes: int, input_shape: tuple[int, int, int], name: str
) -> Any:
    """Deeper CNN with spatial and dense dropout, trained on augmented data (step 3)."""
    return _deeper(config, num_classes, input_shape, name)


@register_model(
    "tuned_cnn",
    family="cnn",
    config=TunedCNNConfig,
    input_shape=_CNN_INPUT_SHAPE,
    preprocessing=_RESCALE,
    reference="Study step 4; KerasTuner search over deeper_cnn options",
    augmentation="standard",
    min_input_size=2**TunedCNNConfig.depth,
)
def tuned_cnn(
    config: TunedCNNConfig, *, num_classes: int, input_shape: tuple[int, int, int], name: str
) -> Any:
    """Deeper CNN built from a hyperparameter dict found by tuning (step 4)."""
    return _deeper(config.resolved(), num_classes, input_shape, name)
