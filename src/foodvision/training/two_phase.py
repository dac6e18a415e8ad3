"""Two-phase fine-tuning of a pretrained backbone, with feature caching.

Phase 1 trains the head on a frozen backbone; phase 2 unfreezes the top
``trainable_blocks`` blocks and trains them with the head at a lower learning rate.
Frozen batch-norm layers run in inference mode (Keras 3 does this for any layer with
``trainable=False``), as the Keras transfer-learning guide recommends.

Without augmentation, the frozen part of the model gives the same output for an image in
every epoch, so by default it runs once: the images go through the frozen prefix up to
the highest frozen block boundary of phase 2 (``block4_pool`` for VGG16 with
``trainable_blocks=1``), phase 1 trains the head on those outputs passed once more
through the still-frozen top block, and phase 2 trains the top block and the head on
them. The trained layers are the model's own, so the model ends up trained.

With a checkpoint directory, a call that finds phase 1 ended and phase 2 under way, both
with its settings, skips phase 1 and its feature pass when phase 2 trains on augmented
images (``augment_head=False``): phase 2's checkpoint holds the whole model.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import keras

from foodvision.base.checks import check_int
from foodvision.base.log import Progress
from foodvision.base.option_names import SCHEDULES
from foodvision.models import (
    block_rate_factors,
    frozen_boundary,
    predict_arrays,
    set_trainable_blocks,
    split_at,
)
from foodvision.training import state
from foodvision.training.averaging import WeightAverage
from foodvision.training.callbacks import EpochTimer
from foodvision.training.feature_cache import (
    features_to_data,
    prefix_batch_size,
    split_features,
)
from foodvision.training.fit import (
    accuracy_metric,
    augmentation_name,
    best_metrics,
    check_run_options,
    model_augmentation,
    resolve_class_weight,
    run_settings,
    sparse_loss,
    train,
)
from foodvision.training.model_output import write_run_model
from foodvision.training.placement import device_count, resolve_distribution, training_copy
from foodvision.training.processes import is_chief, process_count
from foodvision.training.rate_factors import layer_rate_factors
from foodvision.training.schedules import learning_rate_schedule, make_optimizer


@dataclasses.dataclass
class FineTuneResult:
    """What :func:`fine_tune` did.

    Attributes:
        head: History of phase 1 (frozen backbone).
        finetune: History of phase 2, or ``None`` when it did not run.
        cached_features: Whether the frozen prefix ran once instead of every epoch
            (phase 1 unless it is augmented or ``cache_features=False``; phase 2 too
            when it has no augmentation).
        boundary: The layer whose outputs were cached (``None`` without caching).
        feature_seconds: Time of the one-off pass through the frozen prefix. 0 when
            this call did not need it: it resumed a phase 2 on images after phase 1
            had ended, which a call before had trained on the cached features.
        train_seconds: Time of both phases' epochs.
        epoch_seconds: Wall time of every epoch, ``{"head": [...], "finetune": [...]}``.
        averaged_epochs: How many of phase 2's last epochs the final weights average
            (0: no averaging).
        test_outputs: When the last phase trained on cached features, the trained
            model's outputs on ``data.test`` (computed from the cached test features, in
            dataset order), for
            ``evaluate(..., outputs=result.test_outputs)``; otherwise ``None``.

    Example:
        >>> result = fv.fine_tune(model, data, head_epochs=5, finetune_epochs=0)  # doctest: +SKIP
        >>> result.cached_features, result.boundary, len(result.history["loss"])  # doctest: +SKIP
        (True, 'block5_pool', 5)
    """

    head: keras.callbacks.History
    finetune: keras.callbacks.History | None
    cached_features: bool
    boundary: str | None
    feature_seconds: float
    train_seconds: float
    epoch_seconds: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    averaged_epochs: int = 0
    test_outputs: Any = None

    @property
    def history(self) -> dict[str, list[float]]:
        """Both phases' per-epoch values, phase 1 then phase 2 (for curves and reports)."""
        merged = {key: list(values) for key, values in self.head.history.items()}
        if self.finetune is not None:
            for key, values in self.finetune.history.items():
                merged.setdefault(key, []).extend(values)
        return merged


def _compile(
    model: keras.Model, learning_rate: Any, trainer: _PhaseTrainer, run: _PhaseRun
) -> None:
    devices = device_count(resolve_distribution(trainer.distribution))
    factors = layer_rate_factors(model, run.rate_factors)
    model.compile(
        optimizer=make_optimizer(trainer.optimizer, learning_rate, trainer.weight_decay, factors),
        loss=sparse_loss(trainer.label_smoothing),
        **accuracy_metric(padded=devices > 1),
    )


def _phase_boundaries(
    model: keras.Model, trainable_blocks: int, run_phase2: bool
) -> tuple[str | None, str | None]:
    """Frozen boundaries of phase 1 and phase 2 (the model is left as in phase 1)."""
    phase2 = None
    if run_phase2:
        set_trainable_blocks(model, trainable_blocks)
        phase2 = frozen_boundary(model)
    set_trainable_blocks(model, 0)
    return frozen_boundary(model), phase2


@dataclasses.dataclass
class _PhaseTrainer:
    """Runs one phase through :func:`foodvision.train` with the settings both share."""

    directory: Path | None
    tensorboard: Path | None
    early_stopping: int | None
    seed: int | None
    verbose: int | str
    augment_on: str = "auto"
    precision: str | None = None
    distribution: Any = None
    steps_per_execution: int = 1
    label_smoothing: float = 0.0
    class_weight: Any = None
    resume: bool = True
    on_change: str = "error"
    weight_decay: float = 0.0
    optimizer: str = "adam"
    epoch_seconds: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {"head": [], "finetune": []}
    )

    def __call__(
        self,
        net: keras.Model,
        phase: str,
        data: Any,
        run: _PhaseRun,
        averaging: WeightAverage | None = None,
    ) -> keras.callbacks.History:
        extra = [averaging] if averaging is not None else []
        return train(
            net,
            data,
            run.epochs,
            **self._recorded(run),
            augment_on=self.augment_on,
            checkpoint_dir=self.directory / phase if self.directory is not None else None,
            resume=self.resume,
            on_change=self.on_change,
            tensorboard=self.tensorboard / phase if self.tensorboard is not None else None,
            seed=self.seed,
            verbose=self.verbose,
            distribution=self.distribution,
            steps_per_execution=self.steps_per_execution,
            early_stopping=self.early_stopping if averaging is None else None,
            callbacks=[EpochTimer(self.epoch_seconds[phase]), *extra],
            freeze_backbone=False,  # the phase set what trains
            model_file=False,  # a phase may train a part of the model: fine_tune saves it
        )

    def _recorded(self, run: _PhaseRun) -> dict[str, Any]:
        """The arguments of :func:`foodvision.train` that it records for ``run``.

        The model is compiled with the phase's rate and optimizer already: passing them
        records them, so a resumed phase must keep them (the schedule also adds the
        plateau callback).
        """
        return {
            "learning_rate": run.learning_rate,
            "optimizer": self.optimizer,
            "schedule": run.schedule,
            "warmup_epochs": run.warmup_epochs,
            "augmentation": run.augmentation,
            "label_smoothing": self.label_smoothing,
            "weight_decay": self.weight_decay,
            "rate_factors": run.rate_factors,
            "class_weight": self.class_weight,
            "precision": self.precision,
        }

    def settings(self, net: keras.Model, data: Any, run: _PhaseRun) -> dict[str, Any]:
        """The settings :func:`foodvision.train` records for this phase of ``net``."""
        recorded = self._recorded(run)
        recorded["augmentation"] = model_augmentation(net, run.augmentation)
        return run_settings(data, epochs=run.epochs, **recorded)

    def saved_history(self, phase: str) -> keras.callbacks.History:
        """The history of the finished epochs of ``phase`` in the checkpoint directory."""
        directory = self.directory / phase
        rows = state.read_history(directory, int(state.read_latest(directory)["epoch"]))
        return state.fill_history(keras.callbacks.History(), rows)


@dataclasses.dataclass(frozen=True)
class _PhaseRun:
    """What one phase trains: epochs, peak rate, schedule, augmentation, rate factors.

    ``rate_factors``: ``{layer name: factor}`` of the layers that train below the full
    rate (see :func:`foodvision.models.block_rate_factors`).
    """

    epochs: int
    learning_rate: float
    schedule: str = "constant"
    warmup_epochs: int = 0
    augmentation: Any = None
    rate_factors: dict[str, float] | None = None


@dataclasses.dataclass
class _CachedFeatures:
    """Every split passed once through the frozen prefix.

    ``splits`` holds the outputs at ``boundary`` (what phase 2 trains on when it uses
    cached features); ``head_splits`` the outputs at ``head_boundary`` (phase 1's
    input), computed from ``splits`` through the still-frozen block in between.
    """

    boundary: str
    splits: dict[str, Any]
    head_boundary: str
    head_splits: dict[str, Any]


def _cache_features(
    model: keras.Model,
    data: Any,
    boundary: str,
    head_boundary: str,
    feature_dir: Any,
    feature_batch_size: int | None,
    trainer: _PhaseTrainer,
) -> _CachedFeatures:
    """Run the frozen prefix up to ``boundary`` once; derive the head's inputs from it.

    The prefix runs under the trainer's precision and distribution (a copy of it, see
    :func:`~foodvision.training.placement.training_copy`); in a multi-process run each
    process runs it on its own devices.
    """
    batch_size = feature_batch_size or prefix_batch_size(data.batch_size)
    distribution = resolve_distribution(trainer.distribution)
    if process_count() > 1:  # every process needs all features: each computes them alone
        distribution = None
    devices = device_count(distribution)
    batch_size = math.ceil(batch_size / devices) * devices  # an even share for each device
    prefix = split_at(model, boundary)[0]
    with training_copy(prefix, trainer.precision, distribution) as placed:
        splits = _cached_splits(placed, data, feature_dir, batch_size)
    head_splits = splits
    if boundary != head_boundary:
        middle = keras.Model(
            model.get_layer(boundary).output, model.get_layer(head_boundary).output
        )
        head_splits = {
            name: (_through(middle, arrays[0], name, head_boundary), arrays[1])
            if arrays is not None
            else None
            for name, arrays in splits.items()
        }
    return _CachedFeatures(boundary, splits, head_boundary, head_splits)


def _through(part: keras.Model, inputs: Any, split: str, boundary: str) -> Any:
    """Cached features of a split passed through the still-frozen ``part``, with progress."""
    with Progress(f"frozen features of the {split} split up to {boundary}", len(inputs)) as bar:
        return predict_arrays(part, inputs, progress=bar)


def _block_factors(
    model: keras.Model, trainable_blocks: int, decay: float, run_phase2: bool
) -> dict[str, float] | None:
    """Phase 2's ``{layer name: rate factor}``; ``None`` when every layer has the full rate."""
    factors = block_rate_factors(model, trainable_blocks if run_phase2 else 0, decay)
    return factors or None


def _check_phase2_options(finetune_epochs: int, average: int, schedule: str) -> None:
    check_int("finetune_average_epochs", average, 0)
    if average > finetune_epochs:
        raise ValueError(
            f"finetune_average_epochs ({average}) cannot exceed finetune_epochs ({finetune_epochs})"
        )
    if schedule not in SCHEDULES:
        raise ValueError(
            f"unknown finetune_schedule {schedule!r}; choose one of {', '.join(SCHEDULES)}"
        )


def fine_tune(
    model: keras.Model,
    data: Any,
    head_epochs: int = 5,
    finetune_epochs: int = 5,
    *,
    trainable_blocks: int = 1,
    learning_rate: float = 1e-3,
    finetune_learning_rate: float = 1e-5,
    finetune_schedule: str = "constant",
    finetune_warmup_epochs: int = 0,
    finetune_average_epochs: int = 0,
    finetune_rate_decay: float = 1.0,
    optimizer: str = "adam",
    augmentation: Any = None,
    augment_on: str = "auto",
    augment_head: bool = True,
    cache_features: bool = True,
    feature_dir: str | Path | None = None,
    feature_batch_size: int | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = True,
    on_change: str = "error",
    tensorboard: str | Path | None = None,
    early_stopping: int | None = None,
    seed: int | None = None,
    precision: str | None = None,
    distribution: Any = None,
    steps_per_execution: int = 1,
    label_smoothing: float = 0.0,
    weight_decay: float = 0.0,
    class_weight: dict[int, float] | str | None = None,
    verbose: int | str = "auto",
    model_file: bool = True,
) -> FineTuneResult:
    """Train the head on a frozen backbone, then the top blocks too, at a lower rate.

    Args:
        model: A transfer model from :func:`foodvision.build_model` (e.g.
            ``"vgg16_finetune"``) or any functional model with block boundaries.
        data: An :class:`~foodvision.ImageData`.
        head_epochs: Epochs of phase 1.
        finetune_epochs: Epochs of phase 2 (0 skips it).
        trainable_blocks: Top blocks that train in phase 2.
        learning_rate: Learning rate of phase 1.
        finetune_learning_rate: Learning rate of phase 2 (its peak, with a schedule).
        finetune_schedule: Learning-rate schedule of phase 2: ``"constant"``,
            ``"cosine"`` (decay to 0 over ``finetune_epochs``) or ``"plateau"`` (see
            :func:`foodvision.train`).
        finetune_warmup_epochs: Linear warm-up epochs of the cosine schedule.
        finetune_average_epochs: Give the model the mean of its weights at the ends
            of phase 2's last this many epochs (stochastic weight averaging, see
            :class:`foodvision.WeightAverage`); phase 2 then runs all its epochs,
            without early stopping. 0 keeps the best (or last) epoch.
        finetune_rate_decay: In phase 2, each trainable block below the top one trains
            at this factor of the rate of the block above it (the top block and the
            head at the full rate; see :func:`foodvision.models.block_rate_factors`).
            1 trains them all at the full rate.
        optimizer: Optimizer name for both phases.
        augmentation: Augmentation preset or layer; the images then change every epoch,
            so the whole model runs every epoch of the augmented phases (no feature
            caching there).
        augment_on: Where augmentation runs: ``"device"``, ``"pipeline"`` or
            ``"auto"`` (see :func:`foodvision.train`).
        augment_head: Augment phase 1 too. ``False`` trains the head on the
            un-augmented images, so the frozen base can run once (cached features),
            and only phase 2 sees augmented images.
        cache_features: Run the frozen prefix once (see the module docstring).
        feature_dir: Folder for cached features that do not fit in memory.
        feature_batch_size: Images per call of the one-off pass through the frozen
            prefix; default: one on the JAX backend on CPU (fastest there), else the
            data's batch size.
        checkpoint_dir: Keeps each phase's history, best model and backups in
            ``<dir>/head`` and ``<dir>/finetune``; a re-run resumes.
        resume: Continue the phases found in ``checkpoint_dir`` (``False`` starts over).
        on_change: ``"error"`` or ``"restart"``, when a phase found in ``checkpoint_dir``
            began with other settings (see :func:`foodvision.train`); phase 2 restarts
            with phase 1.
        tensorboard: Write TensorBoard logs of each phase to ``<dir>/head`` and
            ``<dir>/finetune`` (see :func:`foodvision.train`).
        early_stopping: Patience of early stopping in phase 1, and in phase 2 unless
            it averages weights.
        seed: Seed of the training randomness.
        precision: Dtype policy of both phases and of the feature pass (see
            :func:`foodvision.train`; ``"auto"`` picks mixed bfloat16 where it is faster).
        distribution: ``"data_parallel"`` or a ``keras.distribution`` object, for both
            phases and the feature pass (see :func:`foodvision.train`).
        steps_per_execution: See :func:`foodvision.train`.
        label_smoothing: Label smoothing of both phases' loss.
        weight_decay: Decoupled weight decay of both phases' optimizer (``"adam"`` with
            it is AdamW; see :func:`foodvision.train`).
        class_weight: ``{class: weight}`` or ``"balanced"`` (see :func:`foodvision.train`).
        verbose: See :func:`foodvision.train`.
        model_file: Write ``model.keras`` and its card into ``checkpoint_dir``.

    With ``checkpoint_dir``, the whole model (the weight average when phase 2 averages)
    is saved at the end as ``<dir>/model.keras`` with its class names and facts, and
    ``model_card.md`` beside it.

    Returns:
        A :class:`FineTuneResult`.

    Example:
        >>> model = fv.build_model("vgg16_finetune", num_classes=5)  # doctest: +SKIP
        >>> result = fv.fine_tune(model, data, head_epochs=5, finetune_epochs=5)  # doctest: +SKIP
    """
    _check_phase2_options(finetune_epochs, finetune_average_epochs, finetune_schedule)
    check_run_options(label_smoothing, on_change, weight_decay)
    run_phase2 = finetune_epochs > 0 and trainable_blocks > 0
    head_boundary, tune_boundary = _phase_boundaries(model, trainable_blocks, run_phase2)
    head_augmentation = augmentation if augment_head else None
    cache_head = bool(cache_features) and head_augmentation is None and head_boundary is not None
    cache_tune = cache_head and run_phase2 and augmentation is None
    trainer = _PhaseTrainer(
        Path(checkpoint_dir) if checkpoint_dir is not None else None,
        Path(tensorboard) if tensorboard is not None else None,
        early_stopping,
        seed,
        verbose,
        augment_on,
        precision,
        distribution,
        steps_per_execution,
        label_smoothing,
        resolve_class_weight(class_weight, data),
        resume,
        on_change,
        weight_decay,
        optimizer,
    )
    head_run = _PhaseRun(head_epochs, learning_rate, augmentation=head_augmentation)
    tune_run = _PhaseRun(
        finetune_epochs,
        finetune_learning_rate,
        finetune_schedule,
        finetune_warmup_epochs,
        augmentation,
        _block_factors(model, trainable_blocks, finetune_rate_decay, run_phase2),
    )
    skippable = cache_head and run_phase2 and not cache_tune
    resumes_phase2 = _check_saved_phases(trainer, model, data, (head_run, tune_run), skippable)
    boundary = (tune_boundary if cache_tune else head_boundary) if cache_head else None
    start = time.perf_counter()
    features = None
    if boundary is not None and not resumes_phase2:
        features = _cache_features(
            model, data, boundary, head_boundary, feature_dir, feature_batch_size, trainer
        )
    feature_seconds = time.perf_counter() - start if features is not None else 0.0
    if resumes_phase2:
        head, last = trainer.saved_history("head"), (None, None)
    else:
        head, last = _train_head(model, data, features, trainer, head_run)
    tuned, averaged = None, 0
    if run_phase2:
        phase2 = _Phase2(trainable_blocks, finetune_average_epochs, tune_run)
        cached = features if cache_tune else None
        tuned, last, averaged = _train_top_blocks(model, data, cached, trainer, phase2)
    train_seconds = time.perf_counter() - start - feature_seconds
    tail, test_split = last
    test_outputs = predict_arrays(tail, test_split[0]) if test_split is not None else None
    result = FineTuneResult(
        head,
        tuned,
        cache_head,
        boundary,
        feature_seconds,
        train_seconds,
        trainer.epoch_seconds,
        averaged,
        test_outputs,
    )
    if checkpoint_dir is not None and model_file:
        phases = (head_run, tune_run if run_phase2 else None)
        _save_model(model, data, result, trainer, phases, trainable_blocks, class_weight)
    return result


def _check_saved_phases(
    trainer: _PhaseTrainer,
    model: keras.Model,
    data: Any,
    runs: tuple[_PhaseRun, _PhaseRun],
    skippable: bool,
) -> bool:
    """Check the phases saved in the checkpoint directory before any work is done.

    - With ``on_change="error"``, a phase saved with other settings is refused now, not
      after the feature pass.
    - Unless phase 1 has ended with these settings (it starts, goes on or starts over),
      the epochs phase 2 saved grew from another head: they are removed.
    - Phase 2 on images restores the whole model from its checkpoint, so once it has
      begun after phase 1 ended (``skippable``: phase 1 trains on cached features,
      phase 2 on images), a resumed call needs neither phase 1 nor its features.

    Returns:
        Whether phase 1 and its feature pass are skipped.
    """
    if trainer.directory is None:
        return False
    head_run, tune_run = runs
    head_dir, tune_dir = trainer.directory / "head", trainer.directory / "finetune"
    head_settings = trainer.settings(model, data, head_run)
    tune_settings = trainer.settings(model, data, tune_run)
    if trainer.resume and trainer.on_change == "error":
        state.check_settings(head_dir, head_settings, "error")
        state.check_settings(tune_dir, tune_settings, "error")
    if not (trainer.resume and state.finished_with(head_dir, head_settings, head_run.epochs)):
        if is_chief() and tune_dir.is_dir():
            state.reset_directory(tune_dir)
        return False
    return skippable and state.began_with(tune_dir, tune_settings)


def _save_model(
    model: keras.Model,
    data: Any,
    result: FineTuneResult,
    trainer: _PhaseTrainer,
    phases: tuple[_PhaseRun, _PhaseRun | None],
    trainable_blocks: int,
    class_weight: Any,
) -> None:
    """Write ``model.keras`` and its card with the settings of both phases.

    ``phases[1]`` is ``None`` without phase 2.
    """
    head_run, tune_run = phases
    head, tuned = result.head, result.finetune
    settings = {
        "head_epochs": len(head.history.get("loss", [])),
        "finetune_epochs": len(tuned.history.get("loss", [])) if tuned is not None else 0,
        "trainable_blocks": trainable_blocks if tune_run is not None else 0,
        "learning_rate": head_run.learning_rate,
        "finetune_learning_rate": tune_run.learning_rate if tune_run is not None else None,
        **({"rate_factors": tune_run.rate_factors} if tune_run and tune_run.rate_factors else {}),
        "averaged_epochs": result.averaged_epochs,
        "augmentation": augmentation_name((tune_run or head_run).augmentation),
        "label_smoothing": trainer.label_smoothing,
        **({"weight_decay": trainer.weight_decay} if trainer.weight_decay else {}),
        "class_weight": class_weight,
        "precision": trainer.precision or "float32",
    }
    final = tuned if tuned is not None else head
    metrics = {} if result.averaged_epochs else best_metrics(_rows(final), "val_accuracy")
    write_run_model(model, data, trainer.directory, training=settings, metrics=metrics)


def _rows(history: keras.callbacks.History) -> list[dict]:
    """A history as rows ``{"epoch": i, metric: value}``."""
    values = history.history
    count = len(values.get("loss", []))
    return [{"epoch": i, **{k: v[i] for k, v in values.items()}} for i in range(count)]


_Trained = tuple[Any, Any]
"""``(tail, cached test split)`` of the last phase: the part of the model that trained on
cached features and those features of the test split, or ``(None, None)`` when the last
phase trained on images."""


def _train_head(
    model: keras.Model,
    data: Any,
    features: _CachedFeatures | None,
    trainer: _PhaseTrainer,
    run: _PhaseRun,
) -> tuple[keras.callbacks.History, _Trained]:
    """Phase 1: the head on the frozen backbone (on cached features when there are)."""
    if features is None:
        _compile(model, run.learning_rate, trainer, run)
        return trainer(model, "head", data, run), (None, None)
    _, tail = split_at(model, features.head_boundary)
    _compile(tail, run.learning_rate, trainer, run)
    head_data = features_to_data(features.head_splits, data, trainer.seed or 0)
    history = trainer(tail, "head", head_data, run)
    return history, (tail, features.head_splits["test"])


@dataclasses.dataclass(frozen=True)
class _Phase2:
    """Phase 2's settings (see :func:`fine_tune`)."""

    trainable_blocks: int
    average_epochs: int
    run: _PhaseRun


def _train_top_blocks(
    model: keras.Model,
    data: Any,
    features: _CachedFeatures | None,
    trainer: _PhaseTrainer,
    phase: _Phase2,
) -> tuple[keras.callbacks.History, _Trained, int]:
    """Phase 2: the top blocks and the head (on cached features only without augmentation).

    Returns:
        The history, what trained (see ``_Trained``) and how many epochs the final
        weights average.
    """
    set_trainable_blocks(model, phase.trainable_blocks)
    run = phase.run
    steps_per_epoch = math.ceil(data.num_images("train") / data.batch_size)
    rate = learning_rate_schedule(
        run.schedule,
        run.learning_rate,
        steps_per_epoch * run.epochs,
        steps_per_epoch * run.warmup_epochs,
    )
    averaging = None
    if phase.average_epochs:
        directory = trainer.directory / "finetune" if trainer.directory is not None else None
        averaging = WeightAverage(run.epochs - phase.average_epochs + 1, directory)
    if features is not None:
        _, net = split_at(model, features.boundary)
        tune_data = features_to_data(features.splits, data, trainer.seed or 0)
        last: _Trained = (net, features.splits["test"])
    else:
        net, tune_data, last = model, data, (None, None)
    _compile(net, rate, trainer, run)
    history = trainer(net, "finetune", tune_data, run, averaging)
    averaged = averaging.apply(net) if averaging is not None else 0
    return history, last, averaged


def _cached_splits(
    prefix: keras.Model, data: Any, feature_dir: Any, batch_size: int
) -> dict[str, Any]:
    """Every split of ``data`` passed once through the frozen ``prefix``: ``{name: arrays}``."""
    splits = {}
    for name in ("train", "val", "test"):
        dataset = getattr(data, name)
        count = data.num_images(name)
        splits[name] = (
            split_features(
                prefix,
                dataset,
                count,
                name=name,
                directory=str(feature_dir) if feature_dir else None,
                batch_size=batch_size,
            )
            if dataset is not None and count
            else None
        )
    return splits
