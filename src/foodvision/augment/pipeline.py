"""An ordered list of augmentation layers that knows its preset and whether it mixes labels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from foodvision.augment.backend_ops import device_ops
from foodvision.augment.draws import DeviceDraws, Draws
from foodvision.augment.layers import BatchMix, RandomTransform
from foodvision.augment.mixing import Mix, mix_labels

DrawsFor = Callable[[int, Any], Draws]
"""``(layer index, layer) -> Draws``: where layer ``i`` of a pipeline gets its numbers."""


def device_draws(index: int, layer: Any) -> Draws:
    """Each layer's own ``SeedGenerator`` (the draws of a compiled train step)."""
    return DeviceDraws(layer.seed_generator)


@keras.saving.register_keras_serializable(package="foodvision")
class AugmentationPipeline(keras.layers.Pipeline):
    """Augmentation layers applied in order; a no-op at inference.

    Unlike ``keras.layers.Pipeline`` it accepts an empty list (the ``"none"`` preset),
    records the preset and seed it was made from, and, when every layer is one of
    foodvision's :class:`~foodvision.augment.layers.RandomTransform` layers, runs them as
    one function of (images, random draws, tensor functions): inside a compiled train
    step (:meth:`augment`) or in a parallel ``tf.data`` map
    (:func:`foodvision.augment.tf_data.apply_augmentation`).

    Args:
        layers: Augmentation layers.
        preset: Preset name, or ``"custom"``.
        seed: Seed the layers were made with (the ``tf.data`` path draws its per-batch
            seeds from it).
        name: Layer name.

    Example:
        >>> aug = AugmentationPipeline([])
        >>> aug.runs_on_device, aug.mixes_labels
        (True, False)

    """

    def __init__(
        self, layers: list, preset: str = "custom", seed: int | None = None, name: str | None = None
    ) -> None:
        super().__init__(list(layers), name=name)
        self.preset = preset
        self.seed = seed

    def build(self, input_shape: Any = None) -> None:
        """Build the layers (foodvision's have nothing to build)."""
        for layer in self.layers:
            if not layer.built:
                layer.build(input_shape)
        self.built = True

    @property
    def mixes_labels(self) -> bool:
        """Whether a layer mixes labels (MixUp, CutMix): targets become soft one-hot rows."""
        return any(layer_mixes_labels(layer) for layer in self.layers)

    @property
    def runs_on_device(self) -> bool:
        """Whether every layer is a foodvision transform (jit-safe, stateless-seedable)."""
        return all(isinstance(layer, RandomTransform) for layer in self.layers)

    def augment(self, images: Any, ops: Any, draws_for: DrawsFor) -> tuple[Any, list[Mix]]:
        """Augment a batch with the given tensor functions and random draws.

        Returns:
            ``(float32 images, mixes)``: apply ``mixes`` to one-hot labels with
            :func:`foodvision.augment.mixing.mix_labels`.

        Raises:
            TypeError: If a layer is not a foodvision transform (see :attr:`runs_on_device`).

        """
        images = ops.cast(images, "float32")
        mixes = []
        for index, layer in enumerate(self.layers):
            if isinstance(layer, BatchMix):
                images, mix = layer.mix(images, draws_for(index, layer), ops)
                mixes.append(mix)
            elif isinstance(layer, RandomTransform):
                images = layer.transform(images, draws_for(index, layer), ops)
            else:
                raise TypeError(
                    f"{type(layer).__name__} is not a foodvision augmentation layer; only "
                    "foodvision.augment layers run inside the train step (augment_on='device')"
                )
        return images, mixes

    def call(self, inputs: Any, training: bool = True, mask: Any = None) -> Any:
        """Apply the layers to images, or to ``{"images", "labels"}`` (labels one-hot)."""
        if not training or not self.layers:
            return inputs
        if not self.runs_on_device:
            return super().call(inputs, training=training, mask=mask)
        ops = device_ops()
        if not isinstance(inputs, dict):
            return self.augment(inputs, ops, device_draws)[0]
        images, mixes = self.augment(inputs["images"], ops, device_draws)
        labels = mix_labels(ops, ops.cast(inputs["labels"], "float32"), mixes)
        return {**inputs, "images": images, "labels": labels}

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The shape after the layers (crops may change the size)."""
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "preset": self.preset, "seed": self.seed}


def layer_mixes_labels(layer: Any) -> bool:
    """Whether ``layer`` mixes labels across a batch.

    True for foodvision's and Keras's MixUp and CutMix, any layer with a true
    ``mixes_labels`` attribute, and pipelines or models containing one.

    Example:
        >>> from foodvision.augment.layers import MixUp
        >>> layer_mixes_labels(MixUp()), layer_mixes_labels(keras.layers.RandomFlip())
        (True, False)

    """
    flag = getattr(layer, "mixes_labels", None)
    if isinstance(flag, bool):
        return flag
    if isinstance(layer, (keras.layers.MixUp, keras.layers.CutMix)):
        return True
    return any(layer_mixes_labels(inner) for inner in getattr(layer, "layers", ()) or ())
