"""Augmentation inside the compiled train step: a training model around the classifier.

:class:`AugmentingModel` wraps a classifier with an augmentation pipeline. When training
it augments each batch on the device (inside the jitted step, on ``uint8`` batches) and,
for MixUp/CutMix, mixes the targets in :meth:`~AugmentingModel.compute_loss` with the
same pairs and shares as the images; at inference it is the classifier itself. It
shares the classifier's layers, so training it trains the classifier; its weights, its
saved file and its fingerprint are the classifier's, so checkpoints, early stopping and
weight averaging see only the model the user keeps. Its extra variables (the seed
generators) are part of the training state, so a resumed run draws the same numbers.
"""

from __future__ import annotations

from typing import Any

import keras

from foodvision.augment.backend_ops import device_ops
from foodvision.augment.mixing import mix_labels
from foodvision.augment.pipeline import device_draws


class _Pending:
    """Holds the mixes of the batch in flight between ``call`` and ``compute_loss``."""

    mixes: list | None = None


class AugmentingModel(keras.Model):
    """Train ``classifier`` on batches augmented inside the train step.

    Args:
        classifier: The model to train (its layers are shared, not copied).
        pipeline: An :class:`~foodvision.augment.pipeline.AugmentationPipeline` whose
            layers all run on the device.
        num_classes: Classes, for one-hot targets when the pipeline mixes labels.

    Example:
        >>> net = AugmentingModel(model, fv.augmentation("standard", seed=0), 5)  # doctest: +SKIP
        >>> net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")  # doctest: +SKIP
        >>> net.fit(data.train, epochs=3)  # doctest: +SKIP
        >>> model.predict(images)  # trained, and without augmentation  # doctest: +SKIP

    """

    def __init__(self, classifier: keras.Model, pipeline: Any, num_classes: int) -> None:
        super().__init__(name=f"{classifier.name}_augmented")
        self.classifier = classifier
        self.augmentation = pipeline
        self.num_classes = int(num_classes)
        self.one_hot_targets = bool(pipeline.mixes_labels)
        self._pending = _Pending()

    def build(self, input_shape: Any = None) -> None:
        """The classifier and the pipeline are built already or build on first call."""
        self.augmentation.build(input_shape)
        self.built = True

    def call(self, images: Any, training: bool = False) -> Any:
        """Augment when training, then classify."""
        self._pending.mixes = None
        if training:
            images, mixes = self.augmentation.augment(images, device_ops(), device_draws)
            self._pending.mixes = mixes or None
        return self.classifier(images, training=training)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The compiled loss, on targets mixed like the images of this batch."""
        ops = device_ops()
        mixes, self._pending.mixes = self._pending.mixes, None
        if self.one_hot_targets and y is not None and len(y.shape) == 1:
            y = ops.one_hot(ops.cast(y, "int32"), self.num_classes)
        if mixes:
            y = mix_labels(ops, ops.cast(y, "float32"), mixes)
        return super().compute_loss(x, y, y_pred, sample_weight, training)

    def get_weights(self) -> list:
        """The classifier's weights (callbacks see the model the user keeps)."""
        return self.classifier.get_weights()

    def set_weights(self, weights: list) -> None:
        """Set the classifier's weights."""
        self.classifier.set_weights(weights)

    def save(self, filepath: Any, *args: Any, **kwargs: Any) -> None:
        """Save the classifier: augmentation belongs to training, not to the saved model."""
        self.classifier.save(filepath, *args, **kwargs)

    def save_weights(self, filepath: Any, *args: Any, **kwargs: Any) -> None:
        """Save the classifier's weights (what KerasTuner's checkpoints reload)."""
        self.classifier.save_weights(filepath, *args, **kwargs)

    def load_weights(self, filepath: Any, *args: Any, **kwargs: Any) -> None:
        """Load weights saved from the classifier."""
        self.classifier.load_weights(filepath, *args, **kwargs)


def inference_model(model: Any) -> Any:
    """The model a user keeps: the classifier of an :class:`AugmentingModel`, else ``model``."""
    return model.classifier if isinstance(model, AugmentingModel) else model


def compile_like(net: AugmentingModel, model: keras.Model) -> None:
    """Compile ``net`` as ``model`` is compiled, sharing its optimizer (and its state)."""
    config = keras.saving.deserialize_keras_object(model.get_compile_config())
    config["optimizer"] = model.optimizer
    net.compile(**config)
