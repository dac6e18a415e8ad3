"""``fv.train``: fit a model on an ImageData with sensible defaults, resumable."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from foodvision.base.backends import unused_accelerator_message
from foodvision.base.checks import check_int
from foodvision.base.files import write_text_atomic
from foodvision.base.log import FoodvisionWarning, get_logger
from foodvision.base.shapes import model_num_classes
from foodvision.base.tf_runtime import tensorflow
from foodvision.training import state
from foodvision.training.batches import padded_batches, process_share, uniform_train_batches
from foodvision.training.callbacks import (
    NaNGuard,
    ResumableEarlyStopping,
    TrainingState,
)
from foodvision.training.device_augmentation import (
    AugmentingModel,
    compile_like,
    inference_model,
)
from foodvision.training.model_output import MODEL_FILE, write_run_model
from foodvision.training.placement import (
    device_count,
    resolve_distribution,
    training_copy,
)
from foodvision.training.processes import (
    check_processes_joined,
    is_chief,
    process_count,
    process_index,
)
from foodvision.training.rate_factors import check_rate_factors, layer_rate_factors
from foodvision.training.schedules import learning_rate_schedule, make_optimizer

logger = get_logger(__name__)


def check_inputs(model: Any, data: Any, epochs: int) -> int:
    """Validate the arguments of :func:`train` before anything runs.

    Returns:
        The number of training images.

    Raises:
        ValueError: For ``epochs < 1``, an empty training split, or a model whose number
            of outputs differs from the number of classes.

    """
    check_int("epochs", epochs, 1)
    if getattr(data, "train", None) is None:
        raise ValueError("data has no training split; load it with fv.load_* first")
    num_train = data.num_images("train")
    if num_train == 0:
        raise ValueError(f"the training split of {data.source or 'the data'} is empty")
    outputs = model_num_classes(model)
    if outputs is not None and outputs != data.num_classes:
        raise ValueError(
            f"the model predicts {outputs} classes but the data has {data.num_classes} "
            f"({', '.join(data.class_names)}); build the model with num_classes="
            f"{data.num_classes}"
        )
    return num_train


def as_image_data(
    data: Any, model: Any, batch_size: int | None, validation_data: Any, seed: int | None
) -> Any:
    """``data`` itself, or in-memory ``(images, labels)`` wrapped as an ``ImageData``."""
    if not isinstance(data, (tuple, list)):
        if batch_size is not None or validation_data is not None:
            raise ValueError(
                "batch_size and validation_data go with (images, labels) arrays; an "
                "ImageData has its own batch size and splits"
            )
        return data
    if len(data) != 2:
        raise ValueError(f"data must be an ImageData or (images, labels), got {len(data)} items")
    from foodvision.data.from_arrays import image_data_from_arrays

    return image_data_from_arrays(
        *data,
        batch_size=check_int("batch_size", 32 if batch_size is None else batch_size, 1),
        validation_data=validation_data,
        num_classes=model_num_classes(model),
        seed=seed or 0,
    )


def _checked_labels(dataset: Any, num_classes: int) -> Any:
    """Fail with a clear message on the first batch holding a label outside the classes."""
    tf = tensorflow()

    def check(images: Any, labels: Any) -> tuple[Any, Any]:
        if labels.shape.rank is not None and labels.shape.rank > 1:
            return images, labels  # one-hot / mixed labels are produced by the library
        ok = tf.debugging.assert_less(
            tf.cast(labels, tf.int64),
            tf.constant(num_classes, tf.int64),
            message=f"label out of range: the data has {num_classes} classes",
        )
        ok2 = tf.debugging.assert_non_negative(labels, message="negative class label")
        with tf.control_dependencies([ok, ok2]):
            return tf.identity(images), labels

    return dataset.map(check, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


_ACCELERATOR_CHECKED: list[bool] = []


def warn_unused_accelerator() -> None:
    """Warn once per process when Keras trains on a CPU while JAX sees a GPU or TPU."""
    if _ACCELERATOR_CHECKED:
        return
    _ACCELERATOR_CHECKED.append(True)
    message = unused_accelerator_message(keras.backend.backend())
    if message:
        warnings.warn(message, category=FoodvisionWarning, stacklevel=3)


def _verbosity(verbose: int | str) -> int:
    if verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return int(verbose)


def compile_defaults(
    model: Any,
    *,
    optimizer: Any,
    learning_rate: Any,
    mixed_labels: bool,
    label_smoothing: float = 0.0,
    padded: bool = False,
    weight_decay: float = 0.0,
    rate_factors: Mapping[str, float] | None = None,
) -> None:
    """Compile ``model`` with the library's defaults when it is not compiled yet.

    Adam (or ``optimizer``), sparse categorical cross-entropy (categorical when
    augmentation mixes labels into soft one-hot targets), accuracy.

    Args:
        model: The model.
        optimizer: Optimizer name or object.
        learning_rate: Its learning rate or schedule.
        weight_decay: Decoupled weight decay of an optimizer given by name.
        rate_factors: ``{layer name: factor}`` of ``model``'s layers (see
            :mod:`foodvision.training.rate_factors`), for an optimizer given by name.
        mixed_labels: Targets are soft one-hot rows.
        label_smoothing: Label smoothing of the one-hot loss.
        padded: Validation batches carry weights that zero the padding of a
            data-parallel run (see :func:`~foodvision.training.batches.padded_batches`):
            accuracy is then a weighted metric, so padding is not counted.
    """
    if getattr(model, "compiled", False) and model.optimizer is not None:
        return
    if mixed_labels:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
    else:
        loss = sparse_loss(label_smoothing)
    factors = layer_rate_factors(model, rate_factors)
    model.compile(
        optimizer=make_optimizer(optimizer, learning_rate, weight_decay, factors),
        loss=loss,
        **accuracy_metric(padded),
    )


def sparse_loss(label_smoothing: float = 0.0) -> keras.losses.Loss:
    """Cross-entropy of integer labels, smoothed when ``label_smoothing > 0``."""
    if label_smoothing:
        from foodvision.layers import SmoothedSparseCrossentropy

        return SmoothedSparseCrossentropy(label_smoothing)
    return keras.losses.SparseCategoricalCrossentropy()


def accuracy_metric(padded: bool) -> dict[str, list[str]]:
    """``compile`` arguments for accuracy: weighted when batches are padded for devices.

    Keras applies sample weights only to ``weighted_metrics``; unpadded runs keep plain
    ``metrics``, so a ``class_weight`` does not change what "accuracy" means.
    """
    return {"weighted_metrics" if padded else "metrics": ["accuracy"]}


def train(
    model: keras.Model,
    data: Any,
    epochs: int = 10,
    *,
    batch_size: int | None = None,
    validation_data: tuple[Any, Any] | None = None,
    learning_rate: float = 1e-3,
    optimizer: str | keras.optimizers.Optimizer = "adam",
    schedule: str = "constant",
    warmup_epochs: int = 0,
    augmentation: Any = "auto",
    augment_on: str = "auto",
    class_weight: dict[int, float] | str | None = None,
    label_smoothing: float = 0.0,
    weight_decay: float = 0.0,
    rate_factors: Mapping[str, float] | None = None,
    freeze_backbone: bool | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = True,
    early_stopping: int | None = None,
    monitor: str | None = None,
    seed: int | None = None,
    precision: str | None = None,
    distribution: Any = None,
    steps_per_execution: int = 1,
    tensorboard: str | Path | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
    model_file: bool = True,
    on_change: str = "error",
) -> keras.callbacks.History:
    """Train ``model`` on ``data.train``, validating on ``data.val``.

    Compiles the model when it is not compiled yet (see :func:`compile_defaults`).
    With ``checkpoint_dir``, the run keeps ``history.csv``, ``best.keras`` and a backup
    of the model and optimizer after every epoch there; running the same call again
    after a crash continues from the last finished epoch (``resume=True``). At the end
    it writes ``model.keras``: the model it returns, with its class names and input
    facts inside (:func:`foodvision.save_model`), and ``model_card.md`` beside it.

    A registered transfer model (e.g. ``"vgg16_finetune"``) trains with its pretrained
    backbone frozen (``freeze_backbone=None``, said in a log message): a randomly
    initialised head at a from-scratch learning rate would wreck the pretrained
    features. :func:`foodvision.fine_tune` trains the top blocks too, in a second phase
    at a low rate.

    Every training batch has the data's batch size (the last batch of an epoch goes on
    into the next pass over the shuffled split, see
    :func:`~foodvision.training.batches.uniform_train_batches`), so the compiled train
    step is compiled once; no callback of the library reads values back from the device
    after each batch, so Keras dispatches batches without waiting for them.

    Args:
        model: A Keras model whose last layer has one output per class.
        data: An :class:`~foodvision.ImageData`, or ``(images, labels)`` arrays in
            memory (``(N, H, W, 3)`` in 0..255 and ``(N,)`` class indices).
        epochs: Total epochs of the run (a resumed run only runs the missing ones).
        batch_size: Images per batch of in-memory arrays (default 32); an
            ``ImageData`` has its own.
        validation_data: ``(images, labels)`` to validate on, with in-memory arrays.
        learning_rate: Peak learning rate (used when the model is not compiled).
        optimizer: ``"adam"``, ``"adamw"``, ``"sgd"``, ``"rmsprop"`` or an optimizer.
        schedule: ``"constant"``, ``"cosine"`` (with ``warmup_epochs`` of linear
            warm-up) or ``"plateau"`` (halve the rate when ``monitor`` stalls).
        warmup_epochs: Warm-up epochs of the cosine schedule.
        augmentation: A preset name or pipeline from :func:`foodvision.augmentation`,
            applied to training batches; ``"auto"`` takes the preset of a registered
            model's spec (:attr:`foodvision.ModelSpec.augmentation`, e.g. ``"standard"``
            for ``augmented_cnn``) and none for other models; ``None`` applies none.
        augment_on: Where augmentation runs: ``"device"`` (inside the compiled train
            step, on ``uint8`` batches; any backend), ``"pipeline"`` (a parallel
            ``tf.data`` map) or ``"auto"`` (see
            :func:`foodvision.augment.resolve_augment_on`). Either way the model keeps
            no augmentation layer: what is saved and returned is the classifier alone.
        class_weight: ``{class index: weight}``, or ``"balanced"``: each class weighs
            ``train images / (classes * its train images)`` (scikit-learn's rule), so
            every class counts alike in the loss.
        label_smoothing: Share of each target spread evenly over all classes (0 to
            below 1; used when the model is not compiled yet).
        weight_decay: Decoupled weight decay (Loshchilov & Hutter 2019): every step
            shrinks each weight by ``learning rate * weight_decay`` of itself, apart
            from the gradient step (Keras's ``weight_decay`` of every optimizer: Adam
            with it is AdamW); 0 applies none. Used when the model is not compiled yet.
        rate_factors: ``{layer name: factor}``: those layers train at ``factor`` times
            the learning rate (e.g. lower blocks of a pretrained network more gently,
            see :mod:`foodvision.training.rate_factors`; decay stays at the full rate).
            Used when the model is not compiled yet; ``None`` trains every layer at the
            rate.
        freeze_backbone: Freeze the backbone of a transfer model and train its head
            only. ``None``: freeze it for registered transfer models; ``False``: train
            the model as its layers' ``trainable`` flags say.
        checkpoint_dir: Folder for history, best model and backups; ``None`` keeps
            nothing on disk.
        resume: Continue the run found in ``checkpoint_dir`` (``False`` starts over).
        early_stopping: Stop after this many epochs without improvement of
            ``monitor`` and restore the best weights; ``None`` never stops early.
        monitor: Metric that picks the best epoch; default ``"val_accuracy"`` when
            there is a validation split, else ``"accuracy"``.
        seed: Seed for weight noise such as dropout (``keras.utils.set_random_seed``).
        precision: ``"mixed_bfloat16"`` or ``"mixed_float16"`` trains a copy of the
            model under that dtype policy (the output layer stays float32; float16 with
            dynamic loss scaling); ``"auto"`` picks mixed bfloat16 where it was measured
            faster (see :func:`~foodvision.training.precision.resolve_precision`);
            ``None`` or ``"float32"`` trains in float32.
        distribution: ``"data_parallel"`` (JAX backend: every device, of every process
            of a multi-process run) or a ``keras.distribution.Distribution``. The data's
            batch size is the global batch: the devices share it, so it must be a
            multiple of their number; the last validation batch is padded with
            zero-weight copies, so every validation image counts once.
        steps_per_execution: Train steps per compiled call (Keras's
            ``compile(steps_per_execution=...)``): more than 1 saves the per-step
            dispatch of small models; batch-level callbacks then run every that many
            steps.
        tensorboard: Folder for TensorBoard logs (``keras.callbacks.TensorBoard``, one
            point per epoch; view them with ``tensorboard --logdir DIR``); ``None``
            writes none.
        callbacks: Extra Keras callbacks.
        verbose: ``"auto"`` (a progress bar in a terminal, one line per epoch
            otherwise), 0, 1 or 2.
        model_file: Write ``model.keras`` and its card into ``checkpoint_dir`` at the end.
        on_change: What resuming does when the run in ``checkpoint_dir`` began with other
            training settings (learning rate, optimizer, schedule, warm-up, augmentation,
            label smoothing, class weights, rate factors, batch size, precision; the
            number of epochs too under the cosine schedule, which it shapes):
            ``"error"`` refuses, naming what changed; ``"restart"`` starts over, saying so.

    Returns:
        The ``keras.callbacks.History``; with ``checkpoint_dir`` it holds every epoch
        of the run, including those of earlier, interrupted attempts.

    Raises:
        ValueError: For bad arguments, a model/data mismatch, an empty training
            split, or a checkpoint directory that belongs to another model.
        FloatingPointError: If the loss becomes NaN or infinite.

    Example:
        >>> model = fv.build_model("baseline_cnn", num_classes=data.num_classes,
        ...                        input_shape=(*data.image_size, 3))  # doctest: +SKIP
        >>> history = fv.train(model, data, epochs=5,
        ...                    checkpoint_dir="runs/baseline")  # doctest: +SKIP
    """
    data = as_image_data(data, model, batch_size, validation_data, seed)
    num_train = check_inputs(model, data, epochs)
    check_int("steps_per_execution", steps_per_execution, 1)
    check_run_options(label_smoothing, on_change, weight_decay)
    augmentation = model_augmentation(model, augmentation)
    settings = dict(learning_rate=learning_rate, optimizer=optimizer, schedule=schedule)
    settings.update(warmup_epochs=warmup_epochs, augmentation=augmentation, epochs=epochs)
    settings.update(label_smoothing=label_smoothing, class_weight=class_weight)
    settings.update(rate_factors=dict(rate_factors or {}))
    settings = run_settings(data, precision=precision, weight_decay=weight_decay, **settings)
    check_rate_factors(model, optimizer, rate_factors)
    class_weights = resolve_class_weight(class_weight, data)
    freeze_pretrained(model, freeze_backbone)
    _start(seed)
    distribution = resolve_distribution(distribution)
    inputs = training_datasets(
        data, augmentation, seed, augment_on, devices=device_count(distribution)
    )
    monitor = monitor or ("val_accuracy" if inputs.val is not None else "accuracy")
    steps = math.ceil(num_train / data.batch_size)
    rate = learning_rate_schedule(schedule, learning_rate, steps * epochs, warmup_epochs * steps)
    directory = Path(checkpoint_dir) if checkpoint_dir is not None else None
    guard = NaNGuard()
    with training_copy(model, precision, distribution) as net:
        compile_defaults(
            net,
            optimizer=optimizer,
            learning_rate=rate,
            weight_decay=weight_decay,
            rate_factors=rate_factors,  # by the copy's own variable paths
            mixed_labels=inputs.mixed_labels,
            label_smoothing=label_smoothing,
            padded=device_count(distribution) > 1,
        )
        net = _with_device_augmentation(net, inputs, distribution, data.num_classes)
        net.steps_per_execution = steps_per_execution
        latest, rows = _restore(directory, net, resume, settings, on_change)
        initial_epoch = int(latest["epoch"]) if latest else 0
        if hasattr(inputs.train, "epoch"):  # an ArraySplit draws its order from the epoch
            inputs.train.epoch = initial_epoch
        finished = latest is not None and (latest.get("stopped_early") or initial_epoch >= epochs)
        history = keras.callbacks.History()
        history.set_model(net)
        if finished and latest.get("stopped_early"):
            _restore_best_weights(inference_model(net), directory)
        if not finished:
            run_callbacks = _callbacks(
                guard,
                directory,
                rows,
                latest,
                schedule=schedule,
                monitor=monitor,
                mode="min" if "loss" in monitor else "max",
                early_stopping=early_stopping,
                tensorboard=tensorboard,
            )
            history = net.fit(
                inputs.train,
                validation_data=inputs.val,
                steps_per_epoch=inputs.steps_per_epoch,
                epochs=epochs,
                initial_epoch=initial_epoch,
                class_weight=class_weights,
                callbacks=[*run_callbacks, *callbacks],
                verbose=_verbosity(verbose),
                shuffle=False,  # the tf.data pipeline shuffles
            )
        stopped_early = not finished and net.stop_training
    _raise_on_nan(guard, learning_rate)
    if directory is not None:
        if stopped_early and is_chief():
            _mark_stopped_early(directory)
        state.fill_history(history, rows)
        if model_file and not (finished and (directory / MODEL_FILE).exists()):
            training = {**settings, "epochs": len(rows)}
            metrics = best_metrics(rows, monitor)
            write_run_model(model, data, directory, training=training, metrics=metrics)
    return history


def _with_device_augmentation(
    net: Any, inputs: TrainingInputs, distribution: Any, classes: int
) -> Any:
    """``net`` wrapped to augment inside its train step, when the inputs ask for it."""
    if inputs.on_device is None:
        return net
    pipeline = inputs.on_device
    if distribution is not None:  # its random state must live on the devices too
        pipeline = pipeline.__class__.from_config(pipeline.get_config())
    wrapped = AugmentingModel(net, pipeline, classes)
    compile_like(wrapped, inference_model(wrapped))
    return wrapped


def _raise_on_nan(guard: NaNGuard, learning_rate: Any) -> None:
    """Raise the clear error of a run whose loss became NaN or infinite."""
    if guard.failure is None:
        return
    epoch, loss = guard.failure
    raise FloatingPointError(
        f"the training loss became {loss} in epoch {epoch + 1}; "
        f"nothing of that epoch was saved. Try a lower learning_rate (now "
        f"{learning_rate}), check the data for NaN or infinite values, or clip "
        "gradients (compile with an optimizer that has clipnorm=1.0)"
    )


def check_run_options(label_smoothing: float, on_change: str, weight_decay: float = 0.0) -> None:
    """Check the run's loss, weight-decay and ``on_change`` options before anything runs.

    Raises:
        ValueError: ``label_smoothing`` outside [0, 1), ``weight_decay`` negative or not
            finite, an unknown ``on_change``, or restarting is asked of several processes.
    """
    if not 0.0 <= float(label_smoothing) < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    number = isinstance(weight_decay, (int, float)) and not isinstance(weight_decay, bool)
    if not number or not 0.0 <= weight_decay < float("inf"):
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    if on_change not in state.ON_CHANGE:
        raise ValueError(
            f"on_change must be one of {', '.join(state.ON_CHANGE)}, got {on_change!r}"
        )
    if on_change == "restart" and process_count() > 1:
        raise ValueError(
            "on_change='restart' needs one process (the processes would race to reset the "
            "folder); start over with resume=False, or use another checkpoint_dir"
        )


def _start(seed: int | None) -> None:
    """What every run does first: warn about an unused accelerator, seed, check processes."""
    warn_unused_accelerator()
    if seed is not None:
        keras.utils.set_random_seed(seed)
    check_processes_joined()


def augmentation_name(augmentation: Any) -> str:
    """A preset's name, ``"none"``, or ``"custom"`` for a pipeline object (for model cards)."""
    if isinstance(augmentation, str):
        return augmentation
    return "custom" if augmentation is not None else "none"


def run_settings(data: Any, **settings: Any) -> dict[str, Any]:
    """The training settings of a run, JSON-safe.

    What its model file records, and what a resumed run must share with the interrupted
    one (see :func:`foodvision.training.state.check_settings`).
    """
    optimizer = settings["optimizer"]
    class_weight = settings["class_weight"]
    for key in ("weight_decay", "rate_factors"):  # recorded when used: older runs resume
        if not settings.get(key):
            settings.pop(key, None)
    if isinstance(class_weight, dict):
        class_weight = {str(k): float(v) for k, v in class_weight.items()}
    return {
        **settings,
        "batch_size": data.batch_size,
        "optimizer": optimizer if isinstance(optimizer, str) else type(optimizer).__name__,
        "augmentation": augmentation_name(settings["augmentation"]),
        "class_weight": class_weight,
        "precision": settings["precision"] or "float32",
    }


def best_metrics(rows: list[dict], monitor: str) -> dict[str, float]:
    """The best epoch's value of ``monitor`` (and its number) from the history rows."""
    values = [(row[monitor], row["epoch"]) for row in rows if row.get(monitor) is not None]
    if not values:
        return {}
    pick = min if "loss" in monitor else max
    value, epoch = pick(values, key=lambda item: item[0])
    return {f"best_{monitor}": float(value), "best_epoch": int(epoch) + 1}


def model_augmentation(model: Any, augmentation: Any) -> Any:
    """``augmentation``, with ``"auto"`` replaced by the model's registered preset."""
    if not (isinstance(augmentation, str) and augmentation == "auto"):
        return augmentation
    from foodvision.models import list_models, registered_spec

    name = getattr(model, "name", "")
    if name not in list_models():
        return None
    preset = registered_spec(name).augmentation
    return None if preset == "none" else preset


def resolve_class_weight(class_weight: Any, data: Any) -> dict[int, float] | None:
    """``class_weight`` as Keras takes it; ``"balanced"`` from the training counts.

    Raises:
        ValueError: An unknown string, or ``"balanced"`` without per-class counts.
    """
    if not isinstance(class_weight, str):
        return class_weight
    if class_weight != "balanced":
        raise ValueError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
    counts = (getattr(data, "counts", None) or {}).get("train") or {}
    per_class = [int(counts.get(name, 0)) for name in data.class_names]
    if not any(per_class):
        raise ValueError("class_weight='balanced' needs the data's per-class training counts")
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.repeat(np.arange(len(per_class)), per_class)
    present = np.unique(labels)
    weights = compute_class_weight("balanced", classes=present, y=labels)
    return {int(c): float(w) for c, w in zip(present, weights)}


def freeze_pretrained(model: Any, freeze_backbone: bool | None) -> None:
    """Freeze the backbone of a transfer model unless ``freeze_backbone`` is ``False``."""
    if freeze_backbone is False:
        return
    from foodvision.models import list_models, registered_spec, set_trainable_blocks

    name = getattr(model, "name", "")
    transfer = name in list_models() and registered_spec(name).family == "transfer"
    if freeze_backbone is None and not transfer:
        return
    set_trainable_blocks(model, 0)
    if freeze_backbone is None:
        logger.warning(
            "%s: training the head only, with its pretrained backbone frozen "
            "(freeze_backbone=False trains it as built; fv.fine_tune also trains the top "
            "blocks in a second phase at a low learning rate)",
            name,
        )


@dataclasses.dataclass(frozen=True)
class TrainingInputs:
    """What :func:`training_datasets` prepared for ``fit``.

    Attributes:
        train: Training batches, all of one size (see
            :func:`~foodvision.training.batches.uniform_train_batches`).
        val: Validation batches, or ``None``.
        mixed_labels: The augmentation turns labels into soft one-hot targets (MixUp,
            CutMix).
        on_device: The augmentation pipeline to run inside the train step, or ``None``
            when there is none or it was mapped over ``train`` already.
        steps_per_epoch: Steps of an epoch when ``train`` is an endless stream, else
            ``None``.
    """

    train: Any
    val: Any
    mixed_labels: bool
    on_device: Any
    steps_per_epoch: int | None


def training_datasets(
    data: Any,
    augmentation: Any,
    seed: int | None,
    augment_on: str = "auto",
    *,
    devices: int = 1,
) -> TrainingInputs:
    """Training and validation batches with augmentation and label checks applied.

    Args:
        data: The :class:`~foodvision.ImageData`.
        augmentation: Preset name or pipeline (see :func:`foodvision.augmentation`).
        seed: Seed of the augmentation.
        augment_on: ``"device"``, ``"pipeline"`` or ``"auto"``.
        devices: Devices that share each batch: training batches must divide among
            them, and the last validation batch is padded (zero weights) so they can.

    Raises:
        ValueError: The batch size is not a multiple of ``devices``.
    """
    from foodvision.augment import apply_augmentation, resolve_augment_on
    from foodvision.augment import augmentation as make_augmentation
    from foodvision.data.array_split import is_tf_dataset

    num_train = data.num_images("train")
    if devices > 1 and min(data.batch_size, num_train) % devices:
        raise ValueError(
            f"a batch of {min(data.batch_size, num_train)} images cannot be shared by "
            f"{devices} devices; load the data with a batch_size that is a multiple of "
            f"{devices} (it is the global batch of all devices)"
        )
    train_ds, steps = uniform_train_batches(data.train, data.batch_size, num_train)
    tf_data = is_tf_dataset(train_ds)
    pipeline = make_augmentation(augmentation, seed=seed or 0)
    mixed_labels = pipeline.mixes_labels
    on_device = None
    if pipeline.layers and resolve_augment_on(augment_on, pipeline, tf_data=tf_data) == "device":
        on_device = pipeline
    elif pipeline.layers:
        train_ds = apply_augmentation(train_ds, pipeline, data.num_classes)
    val_ds = data.val
    if not getattr(data, "labels_checked", False):
        # Data the loaders did not build. Arrays are checked at once; tf.data batches as
        # they come (the map costs CPU on each step, so checked data skips it).
        if not tf_data:
            _check_array_labels(data)
        else:
            train_ds = _checked_labels(train_ds, data.num_classes)
            val_ds = _checked_labels(val_ds, data.num_classes) if val_ds is not None else None
    val_ds = padded_batches(val_ds, devices)
    processes = process_count()
    if processes > 1:  # each process feeds its share of every global batch
        train_ds = process_share(train_ds, process_index(), processes)
        val_ds = process_share(val_ds, process_index(), processes)
    if val_ds is not None and mixed_labels and on_device is None:
        tf = tensorflow()  # the loss takes one-hot targets (on the device: made there)

        val_ds = val_ds.map(lambda x, y, *w: (x, tf.one_hot(y, data.num_classes), *w))
    return TrainingInputs(train_ds, val_ds, mixed_labels, on_device, steps)


def _check_array_labels(data: Any) -> None:
    """Check the labels of array splits at once (they are all in memory)."""
    from foodvision.data.sources import check_class_indices

    for name in ("train", "val"):
        split = getattr(data, name)
        if split is not None and hasattr(split, "labels"):
            check_class_indices(split.labels, data.num_classes, name)


def _restore(
    directory: Path | None, model: Any, resume: bool, settings: dict, on_change: str
) -> tuple[dict | None, list[dict]]:
    """Check the checkpoint directory and load its state: ``(latest, history rows)``.

    A run whose training settings changed since it began is refused, or started over
    (``on_change="restart"``). Only the chief (process 0 of a multi-process run) writes;
    every process loads.
    """
    if directory is None:
        return None, []
    chief = is_chief()
    if resume and not state.check_settings(directory, settings, on_change):
        resume = False  # changed settings, and the caller asked to start over
    if not resume:
        if chief:
            state.reset_directory(directory)
        latest = None
    state.check_run_file(directory, inference_model(model), write=chief)
    if chief:
        state.write_settings(directory, settings)
    if resume:
        latest = state.load_state(directory, model, write=chief)
    rows = state.read_history(directory, int(latest["epoch"])) if latest else []
    return latest, rows


def _callbacks(
    guard: NaNGuard,
    directory: Path | None,
    rows: list[dict],
    latest: dict | None,
    *,
    schedule: str,
    monitor: str,
    mode: str,
    early_stopping: int | None,
    tensorboard: str | Path | None,
) -> list[keras.callbacks.Callback]:
    """The library's callbacks, in the order they must run at the end of an epoch."""
    result: list[keras.callbacks.Callback] = [guard]
    if schedule == "plateau":
        result.append(
            keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=0.5, patience=2)
        )
    stopper = None
    if early_stopping is not None:
        stopper = ResumableEarlyStopping(
            monitor=monitor,
            mode=mode,
            patience=int(early_stopping),
            restore_best_weights=True,
            restored=(latest or {}).get("early_stopping"),
            best_file=directory / state.BEST_FILE if directory is not None else None,
        )
        result.append(stopper)
    if directory is not None:
        best = (latest or {}).get("best")
        result.append(
            TrainingState(directory, rows, monitor, mode, best, guard, stopper, write=is_chief())
        )
    if tensorboard is not None and is_chief():
        result.append(keras.callbacks.TensorBoard(log_dir=str(tensorboard)))
    return result


def _restore_best_weights(model: Any, directory: Path | None) -> None:
    """Give a finished, early-stopped run's model its best epoch's weights again.

    The backup holds the last epoch; early stopping returned the best one, so calling
    the finished run again returns what the first call returned.
    """
    best = directory / state.BEST_FILE if directory is not None else None
    if best is not None and best.exists():
        saved = keras.saving.load_model(best, compile=False, safe_mode=True)
        model.set_weights(saved.get_weights())


def _mark_stopped_early(directory: Path) -> None:
    """Record that early stopping ended the run, so running it again does nothing."""
    path = directory / state.BACKUP_DIR / state.LATEST_FILE
    if path.exists():
        latest = json.loads(path.read_text())
        latest["stopped_early"] = True
        write_text_atomic(path, json.dumps(latest, indent=2) + "\n")
