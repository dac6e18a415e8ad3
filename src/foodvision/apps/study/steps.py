"""How each kind of study step trains: from scratch, search then retrain, or transfer.

A step trains a CNN from scratch, runs a hyperparameter search and then trains its best
model from scratch, or fine-tunes a pretrained backbone in two phases.
:data:`STEP_RUNNERS` maps a step's ``kind`` (see :data:`~foodvision.apps.study.plan.STEP_KINDS`)
to its runner; each returns a :class:`StepOutcome`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.apps.study.plan import PlannedStep, StudyProfile
from foodvision.apps.study.search import TuningResult, tune_cnn
from foodvision.base.files import write_text_atomic
from foodvision.base.jsonable import json_safe
from foodvision.data import join_train_and_val
from foodvision.evaluation import history_dict
from foodvision.models import build_model, ensemble_models
from foodvision.training import FineTuneResult, fine_tune, train
from foodvision.training.callbacks import EpochTimer


@dataclasses.dataclass(frozen=True)
class StepContext:
    """What every step runner needs besides its row of the plan.

    Attributes:
        data: The step's data, at its image size.
        profile: The study profile.
        seed: Seed of the training.
        step_dir: The step's folder (checkpoints and search state live below it).
        verbose: Keras verbosity of the epochs (0, 1 or 2).
        tensorboard: Folder for the step's TensorBoard logs, or ``None``.
        say: Prints one progress line (or nothing when the study is silent).
        search_dir: Where step 4 keeps its search; ``None``: the step's folder. A study
            of several seeds shares one search between them.
        search_key: What the search depends on (settings, dataset, seed); a finished
            search with the same key is reused.
        search_seed: Seed of the search (a shared search has the study's first seed);
            ``None``: ``seed``.
    """

    data: Any
    profile: StudyProfile
    seed: int
    step_dir: Path
    verbose: int
    tensorboard: Path | None = None
    say: Callable[[str], None] = lambda text: None
    search_dir: Path | None = None
    search_key: dict[str, Any] | None = None
    search_seed: int | None = None

    @property
    def checkpoint(self) -> Path:
        """Where the step's training keeps its checkpoints."""
        return self.step_dir / "checkpoint"

    @property
    def placement(self) -> dict[str, Any]:
        """The profile's precision, distribution and steps per execution, as arguments."""
        return {
            "precision": self.profile.precision,
            "distribution": self.profile.distribution,
            "steps_per_execution": self.profile.steps_per_execution,
        }


@dataclasses.dataclass
class StepOutcome:
    """What a step runner produced.

    Attributes:
        model: The trained model.
        history: Per-epoch values of every epoch of the step (resumed ones included).
        epochs_this_run: Epochs trained by this call (0 when everything resumed).
        train_seconds: Wall time of those epochs (and of the one-off feature pass).
        extra: More ``summary.json`` fields of this kind of step.
        test_outputs: The model's outputs on the test split when the runner already has
            them (from cached features), else ``None``.
        images_trained: Images that went through those epochs; ``None``: the training
            split's images times ``epochs_this_run``.
    """

    model: Any
    history: dict[str, list[float]]
    epochs_this_run: int
    train_seconds: float
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    test_outputs: Any = None
    images_trained: int | None = None


def _train_cnn(
    row: PlannedStep,
    context: StepContext,
    *,
    model: str,
    learning_rate: float,
    augmentation: Any,
    model_options: dict[str, Any] | None = None,
    training_options: dict[str, Any] | None = None,
) -> StepOutcome:
    data, profile = context.data, context.profile
    net = build_model(
        model,
        num_classes=data.num_classes,
        input_shape=(*data.image_size, 3),
        **(model_options or {}),
    )
    seconds: list[float] = []
    history = train(
        net,
        data,
        epochs=row.epochs,
        learning_rate=learning_rate,
        schedule=profile.schedule,
        warmup_epochs=profile.warmup_epochs,
        augmentation=augmentation,
        augment_on=profile.augment_on,
        early_stopping=profile.early_stopping,
        seed=context.seed,
        checkpoint_dir=context.checkpoint,
        tensorboard=context.tensorboard,
        callbacks=[EpochTimer(seconds)],
        verbose=context.verbose,
        model_file=False,  # the study saves it with its test accuracy
        **(training_options or {}),
        **context.placement,
    )
    return StepOutcome(net, history_dict(history), len(seconds), sum(seconds))


def run_scratch(row: PlannedStep, context: StepContext) -> StepOutcome:
    """Train the step's CNN from scratch with the profile's schedule (and its options)."""
    options = dict(context.profile.scratch_model_options.get(row.step, {}))
    outcome = _train_cnn(
        row,
        context,
        model=row.model,
        learning_rate=context.profile.learning_rate,
        augmentation=row.augmentation,
        model_options=options,
    )
    if options:
        outcome.extra["model_options"] = options
    return outcome


SEARCH_FILE = "search.json"
"""Beside a search's ``tuning/`` results: what it depends on, so it can be reused."""


def _search(row: PlannedStep, context: StepContext) -> TuningResult:
    """The step-4 search: reused when one with the same key finished, else run.

    The key is written before the search starts: a folder left by a search with another
    key (other settings, data or seed) is cleared first, so KerasTuner never resumes a
    different search; an interrupted search with the same key resumes.
    """
    profile = context.profile
    folder = context.search_dir or context.step_dir
    key = json_safe(context.search_key or {})
    record = folder / SEARCH_FILE
    try:
        previous = json.loads(record.read_text())
    except FileNotFoundError:
        previous = None
    except (OSError, ValueError):
        previous = {"unreadable": True}
    if previous == key and (folder / "tuning" / "trials.json").exists():
        context.say(f"step {row.step}: reusing the search in {folder}")
        return TuningResult.load(folder / "tuning")
    if previous is not None and previous != key:
        context.say(f"step {row.step}: the search in {folder} had other settings; starting over")
        for name in ("tuner", "tuning"):
            shutil.rmtree(folder / name, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(record, json.dumps(key, indent=2) + "\n")
    search = tune_cnn(
        context.data,
        tuner=profile.tuner,
        max_trials=profile.tuning_trials,
        epochs=profile.tuning_epochs or row.epochs,
        search_space=profile.search_space(),
        start_points=list(profile.tuning_start_points),
        schedule=profile.schedule,
        warmup_epochs=profile.warmup_epochs,
        confirm_top=profile.confirm_top,
        confirm_seeds=profile.confirm_seeds,
        augment_on=profile.augment_on,
        directory=folder / "tuner",
        seed=context.seed if context.search_seed is None else context.search_seed,
        **context.placement,
    )
    if search is None:
        raise ValueError(
            "this process ran as a worker of a distributed KerasTuner search "
            "(KERASTUNER_TUNER_ID); run the study in the chief's process"
        )
    search.save(folder / "tuning")
    return search


def run_search(row: PlannedStep, context: StepContext) -> StepOutcome:
    """Search ``tuned_cnn``'s hyperparameters, then train the best one from scratch."""
    profile = context.profile
    search = _search(row, context)
    best, training = search.best_hyperparameters, search.training
    augmentation = training.get("augmentation", row.augmentation or "standard")
    context.say(f"chosen hyperparameters (mean validation score {search.best_score:.3f}): {best}")
    outcome = _train_cnn(
        row,
        context,
        model="tuned_cnn",
        learning_rate=training.get("learning_rate", profile.learning_rate),
        augmentation=augmentation,
        model_options=search.architecture,
        training_options={
            k: training[k] for k in ("weight_decay", "label_smoothing") if k in training
        },
    )
    outcome.extra = {
        "tuning_seconds": search.seconds,
        "tuner": search.tuner,
        "tuning_trials": len(search.trials),
        "tuning_epochs": search.epochs_trained,
        "best_hyperparameters": best,
        "best_trial_val_accuracy": search.best_score,
        "confirmations": search.confirmations,
        "search_results": Path(
            os.path.relpath(
                (context.search_dir or context.step_dir) / "tuning", context.step_dir.parent
            )
        ).as_posix(),
        "augmentation": augmentation,
    }
    return outcome


def _fine_tune(
    row: PlannedStep,
    context: StepContext,
    data: Any,
    checkpoint: Path,
    *,
    head_epochs: int,
    finetune_epochs: int,
    early_stopping: int | None,
) -> tuple[Any, FineTuneResult]:
    """A new model of the step fine-tuned in two phases with the profile's settings."""
    profile = context.profile
    model = build_model(row.model, num_classes=data.num_classes, input_shape=(*data.image_size, 3))
    features = context.step_dir / "features"
    try:
        result = fine_tune(
            model,
            data,
            head_epochs=head_epochs,
            finetune_epochs=finetune_epochs,
            trainable_blocks=profile.trainable_blocks,
            learning_rate=profile.learning_rate,
            finetune_learning_rate=profile.finetune_learning_rate,
            finetune_schedule=profile.finetune_schedule,
            finetune_warmup_epochs=profile.finetune_warmup_epochs,
            finetune_average_epochs=profile.finetune_average_epochs if finetune_epochs else 0,
            finetune_rate_decay=profile.finetune_rate_decay,
            label_smoothing=profile.transfer_label_smoothing,
            weight_decay=profile.transfer_weight_decay,
            augmentation=row.augmentation,
            augment_on=profile.augment_on,
            augment_head=False,
            feature_dir=features,
            early_stopping=early_stopping,
            seed=context.seed,
            checkpoint_dir=checkpoint,
            tensorboard=context.tensorboard,
            verbose=context.verbose,
            model_file=False,  # the study saves it with its test accuracy
            **context.placement,
        )
    finally:
        shutil.rmtree(features, ignore_errors=True)
    return model, result


def _validated_head_epochs(row: PlannedStep, context: StepContext) -> tuple[int, FineTuneResult]:
    """Phase 1 alone with the validation split: the epochs its early stopping keeps.

    The test split is left out, so nothing of it is computed or seen here.
    """
    profile, data = context.profile, context.data
    without_test = dataclasses.replace(
        data, test=None, counts={k: v for k, v in data.counts.items() if k != "test"}
    )
    _, result = _fine_tune(
        row,
        dataclasses.replace(context, tensorboard=None),  # the scored run's logs only
        without_test,
        context.checkpoint / "validated",
        head_epochs=profile.head_epochs,
        finetune_epochs=0,
        early_stopping=profile.transfer_early_stopping,
    )
    curve = result.head.history.get("val_accuracy", [])
    epochs = int(np.argmax(curve)) + 1 if curve else profile.head_epochs
    return epochs, result


def _refit(
    row: PlannedStep, context: StepContext
) -> tuple[Any, int, FineTuneResult | None, dict[str, Any]]:
    """What a refit trains on and for how long.

    Returns:
        The data (training and validation joined), phase 1's epochs, the validated run
        that fixed them (``None`` without early stopping) and the summary fields.
    """
    data = join_train_and_val(context.data, seed=context.seed)  # no validation: refused
    head_epochs, validated, extra = context.profile.head_epochs, None, {}
    if context.profile.transfer_early_stopping is not None:
        head_epochs, validated = _validated_head_epochs(row, context)
        extra["validated_head_epochs"] = head_epochs
    extra["refit_images"] = data.num_images("train")
    context.say(
        f"step {row.step}: training again on {extra['refit_images']} training and "
        f"validation images, phase 1 for {head_epochs} epochs"
    )
    return data, head_epochs, validated, extra


MEMBER_SEED_STRIDE = 10_000
"""Member ``j`` of a step-5 ensemble trains with seed ``seed + j * MEMBER_SEED_STRIDE``
(member 0 with the study's seed, so a one-member step is the plain step)."""


def _epochs_run(result: FineTuneResult) -> int:
    """Epochs that ``result``'s call trained (resumed ones not counted)."""
    return sum(len(seconds) for seconds in result.epoch_seconds.values())


def run_transfer(row: PlannedStep, context: StepContext) -> StepOutcome:
    """Fine-tune the pretrained model in two phases on cached features where possible.

    With ``profile.transfer_refit`` the model that is scored trains on the training and
    validation images together, phase 1 for as many epochs as a validated phase 1 kept
    (every epoch without early stopping), phase 2 for all of the profile's epochs. With
    ``profile.transfer_members`` above 1 that many models train alike with other seeds
    and the step's model is their ensemble (:func:`foodvision.ensemble_models`); the
    history is the first one's.
    """
    profile = context.profile
    validated, extra = None, {}
    head_epochs, early_stopping = profile.head_epochs, profile.transfer_early_stopping
    data = context.data
    if profile.transfer_refit:
        data, head_epochs, validated, extra = _refit(row, context)
        early_stopping = None
    members = []
    for j in range(profile.transfer_members):
        seed = context.seed + j * MEMBER_SEED_STRIDE
        if j:
            context.say(f"step {row.step}: member {j + 1} of {profile.transfer_members}")
        members.append(
            _fine_tune(
                row,
                dataclasses.replace(
                    context, seed=seed, tensorboard=None if j else context.tensorboard
                ),
                data,
                context.checkpoint / f"member{j}" if j else context.checkpoint,
                head_epochs=head_epochs,
                finetune_epochs=profile.finetune_epochs,
                early_stopping=early_stopping,
            )
        )
    results = [result for _, result in members]
    first = results[0]
    runs = results if validated is None else [validated, *results]
    images = data.num_images("train") * sum(_epochs_run(r) for r in results)
    if validated is not None:
        images += context.data.num_images("train") * _epochs_run(validated)
    outputs = [r.test_outputs for r in results]
    extra = {
        "feature_seconds": sum(run.feature_seconds for run in runs),
        "cached_features": first.cached_features,
        "cached_boundary": first.boundary,
        "head_epochs": len(first.head.history.get("loss", [])),
        "finetune_epochs": len(first.finetune.history.get("loss", [])) if first.finetune else 0,
        "trainable_blocks": profile.trainable_blocks,
        **({"rate_decay": profile.finetune_rate_decay} if profile.finetune_rate_decay != 1 else {}),
        "averaged_epochs": first.averaged_epochs,
        **({"members": len(members)} if len(members) > 1 else {}),
        **extra,
    }
    return StepOutcome(
        members[0][0] if len(members) == 1 else ensemble_models([m for m, _ in members]),
        history_dict(first.history),
        sum(_epochs_run(run) for run in runs),
        sum(run.feature_seconds + run.train_seconds for run in runs),
        extra,
        None if any(o is None for o in outputs) else np.mean(outputs, axis=0),
        images_trained=images,
    )


STEP_RUNNERS: dict[str, Callable[[PlannedStep, StepContext], StepOutcome]] = {
    "scratch": run_scratch,
    "search": run_search,
    "transfer": run_transfer,
}
"""The runner of each step kind."""
