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
from typing import Any

from foodvision.base.checks import check_bool, check_choice, check_int, check_rate
from foodvision.models.registry import register_model

_CNN_INPUT_SHAPE = (128, 128, 3)
_RESCALE = "Rescaling(1/255) inside the model: raw RGB 0..255 in"
_POOLINGS = ("flatten", "avg")


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
        check_int("conv_blocks", self.conv_blocks, 1, 2)
        check_int("filters", self.filters, 1)
        check_int("kernel_size", self.kernel_size, 1)
        check_int("dense_units", self.dense_units, 1)

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
        check_int("depth", self.depth, 1, 8)
        check_int("filters", self.filters, 1)
        check_int("max_filters", self.max_filters, 1)
        check_int("convs_per_block", self.convs_per_block, 1)
        check_int("kernel_size", self.kernel_size, 1)
        check_int("dense_units", self.dense_units, 0)
        growth = self.filter_growth
        if isinstance(growth, bool) or not isinstance(growth, (int, float)) or growth < 1:
            raise ValueError(f"filter_growth must be a number >= 1, got {growth!r}")
        check_bool("batch_norm", self.batch_norm)
        check_rate("spatial_dropout", self.spatial_dropout)
        check_rate("dropout", self.dropout)
        check_choice("pooling", self.pooling, _POOLINGS)

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
    """Options of ``tuned_cnn``: the step-3 model's, overridden by what a search found.

    The fields are the plain architecture options of ``deeper_cnn`` (step 3's values as
    defaults); the training settings of a search (learning rate, augmentation...) are
    not the model's business. Build the step-4 model from a search with
    ``build_model("tuned_cnn", **search.architecture)`` (see
    :class:`foodvision.TuningResult`).
    """


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
    """Deeper CNN with the architecture a hyperparameter search found (step 4)."""
    return _deeper(config, num_classes, input_shape, name)
