"""Augmentation layers written with ``keras.ops``: jit-safe on every backend, or in tf.data.

Every layer is a :class:`RandomTransform`: a Keras layer (``supports_jit`` true, no
effect at inference) whose :meth:`~RandomTransform.transform` takes the tensor functions
and the random draws to use. Inside a model or a compiled train step it uses
``keras.ops`` and its own ``keras.random.SeedGenerator``; in a ``tf.data`` map,
:mod:`foodvision.augment.tf_data` runs the same code with TensorFlow ops and stateless
per-batch seeds.

Images go in as ``uint8`` or float in 0..255 and come out ``float32`` in 0..255.

Example:
    >>> import numpy as np
    >>> flip = RandomFlip(seed=0)
    >>> out = flip(np.zeros((2, 8, 8, 3), "uint8"), training=True)
    >>> tuple(out.shape), keras.backend.standardize_dtype(out.dtype)
    ((2, 8, 8, 3), 'float32')

"""

from __future__ import annotations

import math
from typing import Any

import keras

from foodvision.augment import color, geometry, mixing
from foodvision.augment.backend_ops import device_ops
from foodvision.augment.draws import DeviceDraws, Draws
from foodvision.base.checks import check_fraction, check_int, check_positive


class RandomTransform(keras.layers.Layer):
    """Base class: a random image transform drawn independently for every image.

    Subclasses implement :meth:`transform`. At inference (``training=False``) the layer
    returns its input unchanged.

    Args:
        seed: Seed of the layer's ``keras.random.SeedGenerator``; ``None`` for a random one.
        **kwargs: ``keras.layers.Layer`` arguments.

    """

    mixes_labels = False

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape: Any = None) -> None:
        """Nothing to build: the only state is the seed generator."""
        self.built = True

    def transform(self, images: Any, draws: Draws, ops: Any) -> Any:
        """Transform a float32 batch ``(B, H, W, 3)`` in 0..255."""
        raise NotImplementedError

    def call(self, inputs: Any, training: bool = True) -> Any:
        """Transform a batch when training; return it unchanged otherwise."""
        if not training:
            return inputs
        ops = device_ops()
        images = ops.cast(inputs, "float32")
        return self.transform(images, DeviceDraws(self.seed_generator), ops)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Same shape as the input (crops to another size override this)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="foodvision")
class RandomFlip(RandomTransform):
    """Mirror each image left-right (and/or top-bottom) with probability 1/2. Exact.

    Args:
        horizontal: Flip left-right.
        vertical: Flip top-bottom.
        seed: Seed.

    """

    def __init__(
        self, horizontal: bool = True, vertical: bool = False, seed: int | None = None, **kwargs
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.horizontal = bool(horizontal)
        self.vertical = bool(vertical)

    def transform(self, images: Any, draws: Draws, ops: Any) -> Any:
        """Flip the images whose coin came up."""
        batch = ops.shape(images)[0]
        for axis, wanted in ((2, self.horizontal), (1, self.vertical)):
            if wanted:
                coin = color.per_image(ops, draws.uniform((batch,)) < 0.5)
                images = ops.where(coin, ops.flip(images, axis=axis), images)
        return images

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "horizontal": self.horizontal, "vertical": self.vertical}


@keras.saving.register_keras_serializable(package="foodvision")
class RandomAffine(RandomTransform):
    """Rotation, zoom, translation, shear and an optional flip, composed into one warp.

    Ranges follow Keras's layers: ``rotation=0.1`` turns by up to +-0.1 of a full turn
    (36 degrees), ``zoom=0.2`` scales the viewed region by 0.8..1.2, ``translation=0.1``
    shifts by up to 10 % of the size, ``shear=0.1`` shears by up to 0.1. Pixels from
    outside the image are reflected in.

    Args:
        rotation: Fraction of a full turn.
        zoom: Relative zoom range.
        translation: Fraction of the image size.
        shear: Horizontal shear factor.
        horizontal_flip: Also mirror left-right with probability 1/2 (free: it is part
            of the same matrix).
        seed: Seed.

    """

    def __init__(
        self,
        rotation: float = 0.0,
        zoom: float = 0.0,
        translation: float = 0.0,
        shear: float = 0.0,
        horizontal_flip: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.rotation = check_fraction("rotation", rotation)
        self.zoom = check_fraction("zoom", zoom)
        self.translation = check_fraction("translation", translation)
        self.shear = check_fraction("shear", shear)
        self.horizontal_flip = bool(horizontal_flip)

    def matrices(self, draws: Draws, ops: Any, batch: Any, height: int, width: int) -> Any:
        """Draw one source-from-output matrix per image."""
        shape = (batch,)
        flip = ops.ones(shape)
        if self.horizontal_flip:
            flip = ops.where(draws.uniform(shape) < 0.5, -1.0, 1.0)
        return geometry.centred_transform(
            ops,
            height,
            width,
            angle=draws.uniform(shape, -1.0, 1.0) * (self.rotation * 2.0 * math.pi),
            scale=1.0 + draws.uniform(shape, -1.0, 1.0) * self.zoom,
            shear=draws.uniform(shape, -1.0, 1.0) * self.shear,
            shift_x=draws.uniform(shape, -1.0, 1.0) * (self.translation * width),
            shift_y=draws.uniform(shape, -1.0, 1.0) * (self.translation * height),
            flip=flip,
        )

    def transform(self, images: Any, draws: Draws, ops: Any) -> Any:
        """Warp every image through its own matrix."""
        height, width = int(images.shape[1]), int(images.shape[2])
        batch = ops.shape(images)[0]
        return geometry.warp(images, self.matrices(draws, ops, batch, height, width), ops)

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {
            **super().get_config(),
            "rotation": self.rotation,
            "zoom": self.zoom,
            "translation": self.translation,
            "shear": self.shear,
            "horizontal_flip": self.horizontal_flip,
        }


@keras.saving.register_keras_serializable(package="foodvision")
class RandomResizedCrop(RandomTransform):
    """Crop a random box (area share in ``scale``, aspect ratio in ``ratio``) and resize it.

    The Inception-style crop: the box's area is a uniform share of the image's, its
    aspect ratio log-uniform in ``ratio``; it is shrunk to fit when it would not, placed
    uniformly, then resampled (bilinear) to ``size`` (default: the input's size).

    Args:
        scale: ``(low, high)`` share of the image area.
        ratio: ``(low, high)`` width / height of the box.
        size: Output ``(height, width)``; ``None`` keeps the input's.
        seed: Seed.

    """

    def __init__(
        self,
        scale: tuple[float, float] = (0.25, 1.0),
        ratio: tuple[float, float] = (3 / 4, 4 / 3),
        size: tuple[int, int] | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        low, high = (float(v) for v in scale)
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(f"scale must be (low, high) with 0 < low <= high <= 1, got {scale}")
        ratio_low, ratio_high = (check_positive("ratio", float(v)) for v in ratio)
        if ratio_low > ratio_high:
            raise ValueError(f"ratio must be (low, high) with low <= high, got {ratio}")
        self.scale = (low, high)
        self.ratio = (ratio_low, ratio_high)
        self.size = None if size is None else tuple(check_int("size", int(v), 1) for v in size)

    def transform(self, images: Any, draws: Draws, ops: Any) -> Any:
        """Crop and resize every image."""
        height, width = int(images.shape[1]), int(images.shape[2])
        shape = (ops.shape(images)[0],)
        area = draws.uniform(shape, *self.scale) * (height * width)
        log_ratio = draws.uniform(shape, math.log(self.ratio[0]), math.log(self.ratio[1]))
        aspect = ops.exp(log_ratio)
        crop_w = ops.minimum(ops.sqrt(area * aspect), float(width))
        crop_h = ops.minimum(ops.sqrt(area / aspect), float(height))
        top = draws.uniform(shape) * (height - crop_h)
        left = draws.uniform(shape) * (width - crop_w)
        size = self.size or (height, width)
        transforms = geometry.crop_transform(ops, top, left, crop_h, crop_w, size)
        return geometry.warp(images, transforms, ops, size)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """``(batch, *size, channels)``."""
        if self.size is None:
            return input_shape
        return (input_shape[0], *self.size, input_shape[-1])

    def call(self, inputs: Any, training: bool = True) -> Any:
        """Crop when training; at inference only resize to ``size`` (when given)."""
        if training or self.size is None:
            return super().call(inputs, training=training)
        return keras.ops.image.resize(keras.ops.cast(inputs, "float32"), self.size)

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "scale": self.scale, "ratio": self.ratio, "size": self.size}


@keras.saving.register_keras_serializable(package="foodvision")
class ColorJitter(RandomTransform):
    """Random brightness, contrast and saturation per image.

    As Keras's layers on 0..255: ``brightness=0.2`` adds up to +-20 % of 255,
    ``contrast=0.2`` scales each channel's spread about its mean by 0.8..1.2,
    ``saturation=0.2`` blends with the grey image by 0.8..1.2.

    Args:
        brightness: Brightness range.
        contrast: Contrast range.
        saturation: Saturation range.
        seed: Seed.

    """

    def __init__(
        self,
        brightness: float = 0.0,
        contrast: float = 0.0,
        saturation: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.brightness = check_fraction("brightness", brightness)
        self.contrast = check_fraction("contrast", contrast)
        self.saturation = check_fraction("saturation", saturation)

    def transform(self, images: Any, draws: Draws, ops: Any) -> Any:
        """Apply the three adjustments with per-image factors."""
        shape = (ops.shape(images)[0],)
        if self.contrast:
            factor = 1.0 + draws.uniform(shape, -1.0, 1.0) * self.contrast
            images = color.adjust_contrast(ops, images, factor)
        if self.saturation:
            factor = 1.0 + draws.uniform(shape, -1.0, 1.0) * self.saturation
            images = color.adjust_saturation(ops, images, factor)
        if self.brightness:
            delta = draws.uniform(shape, -1.0, 1.0) * (self.brightness * 255.0)
            images = color.adjust_brightness(ops, images, delta)
        return images

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {
            **super().get_config(),
            "brightness": self.brightness,
            "contrast": self.contrast,
            "saturation": self.saturation,
        }


class BatchMix(RandomTransform):
    """Base class of transforms that mix images of a batch (and so their labels).

    Called on a batch of images it returns the mixed images; called on
    ``{"images": ..., "labels": one_hot}`` it returns both, mixed alike.
    """

    mixes_labels = True

    def __init__(self, alpha: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.alpha = check_positive("alpha", alpha)

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "alpha": self.alpha}

    def mix(self, images: Any, draws: Draws, ops: Any) -> tuple[Any, mixing.Mix]:
        """Mix a float32 batch; return it with the ``(keep, partner)`` of every image."""
        raise NotImplementedError

    def transform(self, images: Any, draws: Draws, ops: Any) -> Any:
        """The mixed images (the labels are left to :meth:`mix`'s caller)."""
        return self.mix(images, draws, ops)[0]

    def call(self, inputs: Any, training: bool = True) -> Any:
        """Mix images, or ``{"images", "labels"}`` together, when training."""
        if not isinstance(inputs, dict):
            return super().call(inputs, training=training)
        if not training:
            return inputs
        ops = device_ops()
        images, mix = self.mix(
            ops.cast(inputs["images"], "float32"), DeviceDraws(self.seed_generator), ops
        )
        labels = mixing.mix_labels(ops, ops.cast(inputs["labels"], "float32"), [mix])
        return {**inputs, "images": images, "labels": labels}


@keras.saving.register_keras_serializable(package="foodvision")
class MixUp(BatchMix):
    """MixUp: blend each image with another of the batch, weight from ``Beta(alpha, alpha)``.

    Args:
        alpha: Beta parameter (0.2: most images stay close to one of the two).
        seed: Seed.

    """

    def __init__(self, alpha: float = 0.2, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(alpha, seed=seed, **kwargs)

    def mix(self, images: Any, draws: Draws, ops: Any) -> tuple[Any, mixing.Mix]:
        """Blend the images with their partners."""
        return mixing.mixup(ops, images, draws, self.alpha)


@keras.saving.register_keras_serializable(package="foodvision")
class CutMix(BatchMix):
    """CutMix: paste a box of another image of the batch; area from ``Beta(alpha, alpha)``.

    Args:
        alpha: Beta parameter (1.0: the pasted area is uniform).
        seed: Seed.

    """

    def __init__(self, alpha: float = 1.0, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(alpha, seed=seed, **kwargs)

    def mix(self, images: Any, draws: Draws, ops: Any) -> tuple[Any, mixing.Mix]:
        """Paste the partners' boxes."""
        return mixing.cutmix(ops, images, draws, self.alpha)


_GEOMETRIC_OPS = ("rotate", "shear_x", "shear_y", "translate_x", "translate_y")
_COLOR_OPS = (
    "brightness",
    "color",
    "contrast",
    "sharpness",
    "posterize",
    "solarize",
    "autocontrast",
)


@keras.saving.register_keras_serializable(package="foodvision")
class RandAugment(RandomTransform):
    """RandAugment: ``num_ops`` distinct operations per image, each at a random strength.

    The twelve operations of the paper's list without ``equalize`` (Keras's
    ``RandAugment`` list less ``equalization``): rotate (up to 30 degrees x magnitude),
    shear x / y (0.3), translate x / y (30 % of the size), brightness, colour, contrast
    and sharpness (factor 1 +- 0.9), posterize (down to 4 bits), solarize (threshold
    down to 0) and autocontrast. Each image draws its own operations and, per operation,
    a strength uniform in ``[0, magnitude]`` with a random sign. The colour ones run first,
    in the order listed; the geometric ones are composed into one warp, last (with the
    warp last, XLA fuses nothing into its gathers: 2x faster on CPUs).

    Args:
        num_ops: Operations per image (1..12).
        magnitude: Largest strength, in ``(0, 1]``.
        seed: Seed.

    """

    def __init__(
        self, num_ops: int = 2, magnitude: float = 0.5, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(seed=seed, **kwargs)
        self.num_ops = check_int("num_ops", num_ops, 1, len(_GEOMETRIC_OPS) + len(_COLOR_OPS))
        self.magnitude = check_positive("magnitude", magnitude)
        if self.magnitude > 1:
            raise ValueError(f"magnitude must be in (0, 1], got {magnitude!r}")

    def transform(self, images: Any, draws: Draws, ops: Any) -> Any:
        """Apply each image's chosen operations."""
        names = _GEOMETRIC_OPS + _COLOR_OPS
        batch = ops.shape(images)[0]
        ranks = ops.argsort(ops.argsort(draws.uniform((batch, len(names))), axis=-1), axis=-1)
        chosen = ops.cast(ranks < self.num_ops, "float32")
        signs = ops.where(draws.uniform((batch, len(names))) < 0.5, -1.0, 1.0)
        strength = chosen * signs * draws.uniform((batch, len(names)), 0.0, self.magnitude)
        op = {name: strength[:, i] for i, name in enumerate(names)}
        magnitude = {name: ops.abs(op[name]) for name in _COLOR_OPS}
        candidates = {
            "brightness": lambda x: color.blend(
                ops, x, ops.zeros_like(x), 1.0 + 0.9 * op["brightness"]
            ),
            "color": lambda x: color.adjust_saturation(ops, x, 1.0 + 0.9 * op["color"]),
            "contrast": lambda x: color.adjust_contrast(ops, x, 1.0 + 0.9 * op["contrast"]),
            "sharpness": lambda x: color.adjust_sharpness(ops, x, 1.0 + 0.9 * op["sharpness"]),
            "posterize": lambda x: color.posterize(
                ops, x, 8.0 - ops.round(4.0 * magnitude["posterize"])
            ),
            "solarize": lambda x: color.solarize(ops, x, 256.0 * (1.0 - magnitude["solarize"])),
            "autocontrast": lambda x: color.autocontrast(ops, x),
        }
        for i, name in enumerate(_COLOR_OPS):
            selected = color.per_image(ops, chosen[:, len(_GEOMETRIC_OPS) + i] > 0)
            images = ops.where(selected, candidates[name](images), images)
        height, width = int(images.shape[1]), int(images.shape[2])
        transforms = geometry.centred_transform(
            ops,
            height,
            width,
            angle=op["rotate"] * (math.pi / 6.0),
            scale=ops.ones((batch,)),
            shear=op["shear_x"] * 0.3,
            shear_y=op["shear_y"] * 0.3,
            shift_x=op["translate_x"] * (0.3 * width),
            shift_y=op["translate_y"] * (0.3 * height),
            flip=ops.ones((batch,)),
        )
        return geometry.warp(images, transforms, ops)

    def get_config(self) -> dict[str, Any]:
        """Config for serialization."""
        return {**super().get_config(), "num_ops": self.num_ops, "magnitude": self.magnitude}
