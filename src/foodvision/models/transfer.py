"""ImageNet backbones from ``keras.applications`` with a new classification head (step 5).

Every model takes raw RGB in 0..255: its ImageNet preprocessing is inside the model,
either as :class:`foodvision.layers.ImageNetPreprocessing` (VGG16 and ResNet50: "caffe",
MobileNetV2: "tf") or as the backbone's own built-in layer (MobileNetV3: ``Rescaling`` to
-1..1, whose ``preprocess_input`` is a no-op); never both.

The graph is flat: the backbone's layers (with their Keras names, e.g. ``block1_conv1``
... ``block5_pool``) are layers of the returned model, followed by the head
``head_pool`` (or ``head_flatten``), ``head_dense``, ``head_dropout``, ``predictions``.
``ModelSpec.blocks`` names the layer ending each backbone block; ``trainable_blocks=k``
trains the top ``k`` blocks and the head, and freezes the rest (frozen layers, and the
backbone's batch-norm layers unless ``train_batchnorm=True``, run in inference mode).
Use :func:`foodvision.models.split_at` to cut a model at a block boundary.

Example:
    >>> import foodvision as fv
    >>> model = fv.build_model("vgg16_finetune", num_classes=5,  # doctest: +SKIP
    ...                        weights="imagenet", trainable_blocks=1)

"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from pathlib import Path
from typing import Any

from foodvision.base.checks import check_bool, check_choice, check_int, check_rate
from foodvision.models.registry import register_model
from foodvision.models.weights import (
    IMAGENET,
    WEIGHTS_DIR_ENV,
    imagenet_filename,
    resolve_weights,
)

_TRANSFER_INPUT_SHAPE = (224, 224, 3)
_POOLINGS = ("avg", "max", "flatten")


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A ``keras.applications`` backbone and how foodvision wraps it.

    Attributes:
        arch: Short name, used for weights files (``<arch>_imagenet_notop.weights.h5``).
        constructor: Name of the constructor in ``keras.applications``.
        preprocessing: ``ImageNetPreprocessing`` mode, or ``None`` when the backbone
            preprocesses raw 0..255 input itself.
        blocks: Layer names ending each block, bottom to top.
        min_size: Smallest height/width ``keras.applications`` accepts.
        kwargs: Extra constructor arguments.

    """

    arch: str
    constructor: str
    preprocessing: str | None
    blocks: tuple[str, ...]
    min_size: int = 32
    kwargs: tuple[tuple[str, Any], ...] = ()


VGG16 = Backbone(
    "vgg16",
    "VGG16",
    "caffe",
    ("block1_pool", "block2_pool", "block3_pool", "block4_pool", "block5_pool"),
)
RESNET50 = Backbone(
    "resnet50",
    "ResNet50",
    "caffe",
    ("pool1_pool", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out"),
)
MOBILENET_V2 = Backbone(
    "mobilenet_v2",
    "MobileNetV2",
    "tf",
    ("block_2_add", "block_5_add", "block_12_add", "block_15_add", "out_relu"),
)
MOBILENET_V3_SMALL = Backbone(
    "mobilenet_v3_small",
    "MobileNetV3Small",
    None,
    (
        "expanded_conv_project_bn",
        "expanded_conv_2_add",
        "expanded_conv_5_add",
        "expanded_conv_7_add",
        # The backbone's last layer, an activation, has a session-dependent name
        # ("activation_17"...); it has no weights and counts as part of the head.
        "conv_1_bn",
    ),
    kwargs=(("include_preprocessing", True),),
)


@dataclasses.dataclass(frozen=True)
class TransferConfig:
    """Options of the transfer models.

    Attributes:
        weights: ``"imagenet"``, ``None`` (random init) or a path to the backbone's
            weights file (see :mod:`foodvision.models.weights`).
        trainable_blocks: How many of the backbone's top blocks train (0: frozen
            backbone, only the head trains; ``len(spec.blocks)``: all).
        pooling: ``"avg"`` or ``"max"`` (global pooling) or ``"flatten"``.
        dense_units: Units of the head's hidden dense layer (0: none).
        dropout: Dropout rate before the output layer (0: none).
        train_batchnorm: Let batch-norm layers inside trainable blocks train (and use
            batch statistics); by default they stay frozen, in inference mode.

    """

    weights: str | os.PathLike | None = "imagenet"
    trainable_blocks: int = 1
    pooling: str = "avg"
    dense_units: int = 256
    dropout: float = 0.5
    train_batchnorm: bool = False

    def __post_init__(self) -> None:
        check_int("trainable_blocks", self.trainable_blocks, 0)
        check_choice("pooling", self.pooling, _POOLINGS)
        check_int("dense_units", self.dense_units, 0)
        check_rate("dropout", self.dropout)
        check_bool("train_batchnorm", self.train_batchnorm)


def build_transfer(
    backbone: Backbone,
    config: TransferConfig,
    *,
    num_classes: int,
    input_shape: tuple[int, int, int],
    name: str,
) -> Any:
    """Build ``backbone`` + head as one flat functional model (see the module docstring).

    Arguments are checked (weights path, ``trainable_blocks``, input size) before any
    layer is created.
    """
    from foodvision.models.blocks import set_trainable_blocks
    from foodvision.models.weights import keras_download, load_backbone_weights

    if config.trainable_blocks > len(backbone.blocks):
        raise ValueError(
            f"trainable_blocks must be in 0..{len(backbone.blocks)} for {name!r} "
            f"({len(backbone.blocks)} blocks), got {config.trainable_blocks}"
        )
    if min(input_shape[:2]) < backbone.min_size:
        raise ValueError(
            f"input_shape {tuple(input_shape)} is too small for {name!r}: the {backbone.arch} "
            f"backbone needs height and width of at least {backbone.min_size}"
        )
    source = resolve_weights(config.weights, backbone.arch)

    import keras
    from keras import layers

    from foodvision.layers import ImageNetPreprocessing

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    if backbone.preprocessing is not None:
        x = ImageNetPreprocessing(backbone.preprocessing, name="imagenet_preprocessing")(x)
    constructor = getattr(keras.applications, backbone.constructor)
    downloading = source.kind == "keras"
    with keras_download(backbone.arch) if downloading else contextlib.nullcontext():
        base = constructor(
            include_top=False,
            weights="imagenet" if downloading else None,
            input_tensor=x,
            **dict(backbone.kwargs),
        )
    if source.kind == "file":
        load_backbone_weights(base, source.path, backbone.arch)

    features = base.output
    if config.pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="head_pool")(features)
    elif config.pooling == "max":
        x = layers.GlobalMaxPooling2D(name="head_pool")(features)
    else:
        x = layers.Flatten(name="head_flatten")(features)
    if config.dense_units:
        x = layers.Dense(config.dense_units, activation="relu", name="head_dense")(x)
    if config.dropout:
        x = layers.Dropout(config.dropout, name="head_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", dtype="float32", name="predictions")(
        x
    )
    model = keras.Model(inputs, outputs, name=name)
    set_trainable_blocks(
        model,
        config.trainable_blocks,
        blocks=backbone.blocks,
        train_batchnorm=config.train_batchnorm,
    )
    return model


_BACKBONES: dict[str, Backbone] = {}
"""The backbone of each registered transfer model."""


def local_imagenet_weights(model: str) -> tuple[Path | None, str]:
    """The ImageNet weights file of a registered transfer model, if one is on this machine.

    Only ``$FOODVISION_WEIGHTS_DIR`` is looked in: nothing is downloaded.

    Returns:
        ``(path, "")`` when the file is there, else ``(None, why)`` with what to do.

    Raises:
        ValueError: ``model`` is not a registered transfer model.

    Example:
        >>> local_imagenet_weights("resnet50_finetune")  # doctest: +SKIP
        (None, 'no local ImageNet weights for resnet50: put resnet50_imagenet_notop...')
    """
    if model not in _BACKBONES:
        raise ValueError(
            f"{model!r} is not a transfer model; choose one of {', '.join(sorted(_BACKBONES))}"
        )
    arch = _BACKBONES[model].arch
    source = resolve_weights(IMAGENET, arch)
    if source.kind == "file":
        return source.path, ""
    return None, (
        f"no local ImageNet weights for {arch}: put {imagenet_filename(arch)} in the folder "
        f"named by {WEIGHTS_DIR_ENV}"
    )


def _register(name: str, backbone: Backbone, description: str, reference: str) -> None:
    _BACKBONES[name] = backbone
    preprocessing = (
        f"ImageNetPreprocessing({backbone.preprocessing!r}) inside the model "
        f"(= keras.applications preprocess_input mode {backbone.preprocessing!r})"
        if backbone.preprocessing
        else f"{backbone.constructor}'s own built-in preprocessing layers"
    )

    @register_model(
        name,
        family="transfer",
        config=TransferConfig,
        input_shape=_TRANSFER_INPUT_SHAPE,
        preprocessing=preprocessing + "; raw RGB 0..255 in",
        description=description,
        reference=reference,
        augmentation="light",
        min_input_size=backbone.min_size,
        blocks=backbone.blocks,
    )
    def builder(
        config: TransferConfig,
        *,
        num_classes: int,
        input_shape: tuple[int, int, int],
        name: str,
    ) -> Any:
        return build_transfer(
            backbone, config, num_classes=num_classes, input_shape=input_shape, name=name
        )


_register(
    "vgg16_finetune",
    VGG16,
    "VGG16 ImageNet base, top blocks fine-tuned, new head (step 5)",
    "Simonyan & Zisserman, ICLR 2015; keras.applications.VGG16",
)
_register(
    "resnet50_finetune",
    RESNET50,
    "ResNet50 ImageNet base with a new head",
    "He et al., CVPR 2016; keras.applications.ResNet50",
)
_register(
    "mobilenet_v2_finetune",
    MOBILENET_V2,
    "MobileNetV2 ImageNet base with a new head (small and fast)",
    "Sandler et al., CVPR 2018; keras.applications.MobileNetV2",
)
_register(
    "mobilenet_v3_small_finetune",
    MOBILENET_V3_SMALL,
    "MobileNetV3-Small ImageNet base with a new head (smallest, fastest)",
    "Howard et al., ICCV 2019; keras.applications.MobileNetV3Small",
)
