"""Blocks of a built model: boundaries, freezing the bottom blocks, splitting at a boundary.

A *block boundary* is a layer every path from the input to the output goes through, so
the model is ``suffix(prefix(x))`` with ``prefix`` ending at that layer. Registered
backbones list theirs in ``ModelSpec.blocks``; the CNNs end block ``i`` with
``block{i}_pool``.

Training only the top of a model (e.g. VGG16's block 5 + head, ``trainable_blocks=1``)
can compute the frozen prefix's output once and train the suffix on it:

    >>> prefix, suffix = split_at(model, frozen_boundary(model))  # doctest: +SKIP
    >>> features = prefix.predict(images)          # once  # doctest: +SKIP
    >>> suffix.compile(...); suffix.fit(features, labels)  # doctest: +SKIP

``prefix`` and ``suffix`` share the layer objects of ``model``: training ``suffix``
trains ``model``. (Only valid while nothing in the prefix trains or uses batch
statistics; :func:`frozen_boundary` returns such a boundary.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from foodvision.base.checks import check_factor

_CNN_BLOCK = re.compile(r"block(\d+)_pool")


def block_boundaries(model: Any) -> tuple[str, ...]:
    """Names of the layers ending each block of ``model``, bottom to top.

    Uses the registry's ``ModelSpec.blocks`` when ``model.name`` is a registered model
    with a fixed block structure, else the layers named ``block<i>_pool``.

    Example:
        >>> block_boundaries(vgg16_model)  # doctest: +SKIP
        ('block1_pool', 'block2_pool', 'block3_pool', 'block4_pool', 'block5_pool')

    """
    from foodvision.models.registry import registered_spec

    names = {layer.name for layer in model.layers}
    spec = registered_spec(model.name)
    if spec is not None and spec.blocks and all(b in names for b in spec.blocks):
        return spec.blocks
    found = [(int(m.group(1)), n) for n in names if (m := _CNN_BLOCK.fullmatch(n))]
    return tuple(n for _, n in sorted(found))


def _index(model: Any, name: str, blocks: Sequence[str]) -> int:
    for i, layer in enumerate(model.layers):
        if layer.name == name:
            return i
    raise ValueError(
        f"model {model.name!r} has no layer {name!r}; its block boundaries are {list(blocks)}"
    )


def set_trainable_blocks(
    model: Any,
    trainable_blocks: int,
    *,
    blocks: Sequence[str] | None = None,
    train_batchnorm: bool = False,
) -> Any:
    """Freeze all but the top ``trainable_blocks`` blocks; the head always trains.

    Layers after the last boundary are the head. Frozen layers get ``trainable=False``;
    batch-norm layers before the head are frozen too unless ``train_batchnorm`` (a
    frozen ``BatchNormalization`` runs in inference mode in Keras 3). Recompile the model
    after calling this.

    Args:
        model: A model built by :func:`foodvision.build_model` (or any functional model
            whose ``blocks`` are block boundaries).
        trainable_blocks: 0 (only the head) to ``len(blocks)`` (everything).
        blocks: Boundaries, bottom to top; default :func:`block_boundaries`.
        train_batchnorm: Let batch-norm layers in trainable blocks train.

    Returns:
        ``model`` (modified in place).

    Example:
        >>> set_trainable_blocks(model, 2)  # doctest: +SKIP

    """
    import keras

    blocks = tuple(blocks) if blocks is not None else block_boundaries(model)
    if not blocks:
        raise ValueError(f"model {model.name!r} has no known block boundaries; pass blocks=")
    if not 0 <= trainable_blocks <= len(blocks):
        raise ValueError(
            f"trainable_blocks must be in 0..{len(blocks)} for {model.name!r}, "
            f"got {trainable_blocks!r}"
        )
    head_start = _index(model, blocks[-1], blocks) + 1
    if trainable_blocks == len(blocks):
        train_start = 0
    else:
        train_start = _index(model, blocks[len(blocks) - trainable_blocks - 1], blocks) + 1
    for i, layer in enumerate(model.layers):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if i >= head_start:
            layer.trainable = True
        elif isinstance(layer, keras.layers.BatchNormalization) and not train_batchnorm:
            layer.trainable = False
        else:
            layer.trainable = i >= train_start
    return model


def block_rate_factors(
    model: Any, trainable_blocks: int, decay: float, *, blocks: Sequence[str] | None = None
) -> dict[str, float]:
    """Learning-rate factors that fall by ``decay`` per block below the top one.

    The top block (and the head above it) trains at the full rate, the block below it at
    ``decay`` times it, the next at ``decay**2``, down to the lowest of the
    ``trainable_blocks`` top blocks (discriminative fine-tuning, Howard & Ruder 2018).

    Args:
        model: A model with block boundaries (see :func:`block_boundaries`).
        trainable_blocks: How many top blocks train.
        decay: Factor between a block's rate and the rate of the block above it, in
            ``(0, 1]``; 1 gives every block the full rate (no factors).
        blocks: Boundaries, bottom to top; default :func:`block_boundaries`.

    Returns:
        ``{layer name: factor}`` for the layers of the blocks below the top one, as
        :func:`foodvision.train`'s ``rate_factors`` takes them.

    Example:
        >>> block_rate_factors(vgg16_model, 2, 0.5)  # doctest: +SKIP
        {'block4_conv1': 0.5, 'block4_conv2': 0.5, 'block4_conv3': 0.5, 'block4_pool': 0.5}

    """
    check_factor("the rate decay per block", decay)
    blocks = tuple(blocks) if blocks is not None else block_boundaries(model)
    if not 0 <= trainable_blocks <= len(blocks):
        raise ValueError(
            f"trainable_blocks must be in 0..{len(blocks)} for {model.name!r}, "
            f"got {trainable_blocks!r}"
        )
    if decay == 1:
        return {}
    ends = [_index(model, name, blocks) for name in blocks]
    factors = {}
    for below_top in range(1, trainable_blocks):
        top = len(blocks) - 1 - below_top
        start = ends[top - 1] + 1 if top > 0 else 0
        for layer in model.layers[start : ends[top] + 1]:
            factors[layer.name] = float(decay**below_top)
    return factors


def frozen_boundary(model: Any, blocks: Sequence[str] | None = None) -> str | None:
    """The highest block boundary below which nothing trains, or ``None``.

    Everything up to and including the returned layer has no trainable weights and no
    layer that behaves differently in training (batch norm in training mode, dropout),
    so its output can be computed once and cached.

    Example:
        >>> frozen_boundary(fv.build_model("vgg16_finetune", trainable_blocks=1))  # doctest: +SKIP
        'block4_pool'

    """
    import keras

    blocks = tuple(blocks) if blocks is not None else block_boundaries(model)
    stochastic = (keras.layers.Dropout, keras.layers.SpatialDropout2D, keras.layers.GaussianNoise)
    best = None
    for layer in model.layers:
        trains = bool(layer.trainable_weights)
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable:
            trains = True
        if trains or isinstance(layer, stochastic):
            break
        if layer.name in blocks:
            best = layer.name
    return best


def split_at(model: Any, layer_name: str) -> tuple[Any, Any]:
    """Split a functional model at a block boundary into ``(prefix, suffix)``.

    ``prefix`` maps the model's input to ``layer_name``'s output; ``suffix`` maps that
    output to the model's output; ``suffix(prefix(x))`` equals ``model(x)`` and both
    share the layer objects (and weights, and trainable flags) of ``model``.

    Args:
        model: A functional ``keras.Model`` with a single input.
        layer_name: A layer every input-to-output path goes through (see
            :func:`block_boundaries`).

    Returns:
        ``(prefix, suffix)`` functional models.

    Raises:
        ValueError: No such layer, or the output does not depend on the input through
            that layer only (a layer inside a residual block, for example).

    Example:
        >>> prefix, suffix = split_at(model, "block4_pool")  # doctest: +SKIP

    """
    import keras

    blocks = block_boundaries(model)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"split_at needs a model with one input and one output: {model.name!r}")
    _index(model, layer_name, blocks)
    boundary = model.get_layer(layer_name).output
    prefix = keras.Model(model.inputs, boundary, name=f"{model.name}_to_{layer_name}")
    try:
        suffix = keras.Model(boundary, model.outputs[0], name=f"{model.name}_from_{layer_name}")
    except ValueError as err:
        raise ValueError(
            f"cannot split {model.name!r} at {layer_name!r}: the output also depends on "
            f"layers that bypass it. Split at a block boundary: {list(blocks)}"
        ) from err
    inner = [layer for layer in suffix.layers if not isinstance(layer, keras.layers.InputLayer)]
    both = {id(layer) for layer in prefix.layers} & {id(layer) for layer in inner}
    if both:
        names = sorted(layer.name for layer in inner if id(layer) in both)
        raise ValueError(
            f"cannot split {model.name!r} at {layer_name!r}: layers {names} are on both "
            f"sides. Split at a block boundary: {list(blocks)}"
        )
    return prefix, suffix
