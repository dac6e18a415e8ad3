"""The five steps of the study as data, and the profiles that size them.

:data:`STEPS` says what each step is (model, augmentation, what changed from the step
before); a :class:`StudyProfile` says how big each step runs (image size, epochs,
schedule, tuning budget). :func:`study_plan` joins the two into one row per step.

Example:
    >>> [row.model for row in study_plan("quick", steps=(1, 3))]
    ['baseline_cnn', 'augmented_cnn']

"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from foodvision.augment import AUGMENT_ON, AUGMENTATION_PRESETS
from foodvision.base.checks import check_choice, check_factor, check_int
from foodvision.base.option_names import DISTRIBUTIONS, PRECISIONS, SCHEDULES

STEP_KINDS = ("scratch", "search", "transfer")
"""How a step trains: a CNN from scratch, a hyperparameter search and then its best
model from scratch, or a pretrained backbone fine-tuned in two phases."""


@dataclasses.dataclass(frozen=True)
class StudyStep:
    """One step of the study, independent of its size.

    Attributes:
        step: Step number, 1 to 5.
        name: Short name, used for the step's folder (``step1_baseline``).
        title: Title on the study page.
        model: Registered model name.
        augmentation: Augmentation preset of the training data (``None``: none).
        change: What this step changes compared with the step before, in words.
        kind: How the step trains, one of :data:`STEP_KINDS`; the runner dispatches on it.
    """

    step: int
    name: str
    title: str
    model: str
    augmentation: str | None
    change: str
    kind: str = "scratch"

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ValueError(f"step kind must be one of {', '.join(STEP_KINDS)}, got {self.kind!r}")


STEPS: tuple[StudyStep, ...] = (
    StudyStep(
        1,
        "baseline",
        "Baseline CNN",
        "baseline_cnn",
        None,
        "A small CNN (two conv + max-pool blocks and a dense layer) trained from scratch.",
    ),
    StudyStep(
        2,
        "deeper",
        "Deeper CNN",
        "deeper_cnn",
        None,
        "More conv + max-pool blocks: a deeper network with fewer parameters in its head.",
    ),
    StudyStep(
        3,
        "augmented",
        "Deeper CNN + augmentation + dropout",
        "augmented_cnn",
        "standard",
        "The same deeper CNN with spatial and dense dropout, trained on augmented images "
        "(flips, rotations, zoom, translation, contrast).",
    ),
    StudyStep(
        4,
        "tuned",
        "Tuned CNN",
        "tuned_cnn",
        None,
        "The step-3 model's learning rate, weight decay, label smoothing, augmentation "
        "strength (up to RandAugment with MixUp and CutMix), width, convolutions per block, "
        "batch normalisation, head and dropout chosen by a KerasTuner search on the "
        "validation split, every trial as long as the retraining; the best few trials "
        "re-run on more seeds and the best mean wins.",
        kind="search",
    ),
    StudyStep(
        5,
        "vgg16",
        "VGG16 fine-tuned",
        "vgg16_finetune",
        None,
        "Transfer learning: an ImageNet-pretrained VGG16 base with a new head; phase 1 "
        "trains the head on the frozen base, phase 2 (when the profile has fine-tuning "
        "epochs) also the top blocks, at a lower learning rate, on augmented images "
        "when the profile names an augmentation.",
        kind="transfer",
    ),
)
"""The five steps of the study, in order.

Example:
    >>> [(step.step, step.model) for step in STEPS][:2]
    [(1, 'baseline_cnn'), (2, 'deeper_cnn')]
"""

STEP_NUMBERS = tuple(step.step for step in STEPS)

SEARCH_STARTS_FROM = 3
"""The step whose model step 4's search starts from (and whose model options it keeps)."""


@dataclasses.dataclass(frozen=True)
class StudyProfile:
    """How big each step runs.

    Attributes:
        name: Profile name.
        scratch_image_size: Image side of the CNNs trained from scratch (steps 1-4).
        transfer_image_size: Image side of the pretrained model (step 5).
        batch_size: Images per batch on each device: with ``distribution`` the global
            batch is this times the number of devices.
        epochs: Epochs of steps 1 to 4 (step 4: the retraining with the best
            hyperparameters), ``{step: epochs}``.
        learning_rate: Peak learning rate of steps 1-3.
        scratch_model_options: Options of the CNNs of steps 1-3 over their registered
            defaults, ``{step: {option: value}}`` (see
            ``get_model_spec(name).hyperparameters``), e.g. ``{3: {"dropout": 0.2}}``;
            step 4's search starts from step 3's.
        scratch_tta: Steps 1-4 are scored on the mean output over these test-time
            views besides the image itself, like ``transfer_tta`` for step 5;
            ``None``: the image alone.
        schedule: Learning-rate schedule of steps 1-4 (see :func:`foodvision.train`).
        warmup_epochs: Warm-up epochs of the cosine schedule.
        early_stopping: Patience of early stopping in steps 1-4 (``None``: never).
        transfer_early_stopping: Patience of early stopping in step 5; with early
            stopping the best epoch's weights (by validation accuracy) are kept.
        tuner: ``"bayesian"`` or ``"hyperband"``.
        tuning_trials: Trials of the Bayesian search.
        tuning_epochs: Epochs per trial (Bayesian) or the most a trial trains
            (Hyperband); ``None``: step 4's epochs, so a trial is the run it predicts.
        tuning_start_points: Configurations step 4's Bayesian search tries right after
            step 3's own, each some hyperparameters over step 3's settings (see
            :func:`foodvision.tune_cnn`'s ``start_points``).
        confirm_top: Step 4, how many of the best trials train again on more seeds.
        confirm_seeds: Step 4, how many more seeds each of them trains with.
        equivalence_margin: With several seeds, two steps whose paired difference lies
            (90 % interval) within this many accuracy points of zero (as a fraction)
            are called equivalent.
        reference_model: A stronger ImageNet backbone trained like step 5, on the
            first seed, as a reference row beside the steps when step 5 runs; only with
            its weights in ``$FOODVISION_WEIGHTS_DIR`` (nothing is downloaded),
            otherwise the page says it is not available. ``None``: no reference.
        head_epochs: Step 5, phase 1 (head on the frozen base, features cached).
        finetune_epochs: Step 5, phase 2 (top blocks too; 0 skips it).
        trainable_blocks: Step 5, blocks trained in phase 2.
        finetune_learning_rate: Step 5, learning rate of phase 2 (its peak, with a
            schedule).
        finetune_schedule: Step 5, learning-rate schedule of phase 2 (``"constant"``
            or ``"cosine"``, see :func:`foodvision.fine_tune`).
        finetune_warmup_epochs: Step 5, linear warm-up epochs of phase 2's cosine.
        finetune_average_epochs: Step 5, phase 2 ends with the mean of the weights
            of its last this many epochs (stochastic weight averaging) and runs all
            its epochs; 0 keeps the best epoch.
        finetune_rate_decay: Step 5, phase 2: each trainable block below the top one
            trains at this factor of the rate of the block above it (see
            :func:`foodvision.models.block_rate_factors`); 1: all at the full rate.
        transfer_augmentation: Step 5, augmentation preset of phase 2 (``None``: none).
            Phase 1 always trains on cached features of the un-augmented images.
        transfer_label_smoothing: Step 5, label smoothing of both phases' loss.
        transfer_weight_decay: Step 5, decoupled weight decay of both phases.
        transfer_refit: Step 5 (and the reference row): the scored model trains again
            from the start on the training and validation images together, with phase
            1's epochs fixed by a validated phase 1 (the epoch its early stopping kept;
            all of ``head_epochs`` without early stopping) and all of phase 2's epochs.
            The validation split then only fixes that count.
        transfer_members: Step 5 (and the reference row) trains this many models alike,
            each with its own seed on the same split, and is scored as their ensemble
            (the mean of their probabilities, :func:`foodvision.ensemble_models`), which
            is also the step's model file; 1: one model.
        transfer_tta: Step 5 (and the reference row) is scored on the mean output over
            these test-time views besides the image itself (``"flip"``, ``"zoom"`` or
            both, comma-separated; see :func:`foodvision.models.tta.resolve_tta`);
            ``None``: the image alone. The single-view accuracy is kept beside it.
        augment_on: Where augmentation runs in every step: ``"device"`` (inside the
            compiled train step), ``"pipeline"`` (tf.data) or ``"auto"`` (see
            :func:`foodvision.train`).
        precision: Dtype policy of every step's training (and of step 5's feature
            pass): ``"float32"``, ``"mixed_bfloat16"``, ``"mixed_float16"`` or
            ``"auto"`` (mixed bfloat16 where it was measured faster, see
            :func:`~foodvision.training.precision.resolve_precision`).
        distribution: ``None`` (one device) or ``"data_parallel"`` (every device; JAX).
        steps_per_execution: Train steps per compiled call (see :func:`foodvision.train`).
        bootstrap_resamples: Resamples of the accuracy confidence intervals.

    Example:
        >>> small = StudyProfile("small", epochs={1: 2, 2: 2, 3: 4, 4: 4}, head_epochs=3)
        >>> small.transfer_image_size, small.tuner
        (224, 'bayesian')
        >>> fv.run_study("synthetic", profile=small, out_dir="runs/small")  # doctest: +SKIP
    """

    name: str
    scratch_image_size: int = 64
    transfer_image_size: int = 224
    batch_size: int = 32
    epochs: Mapping[int, int] = dataclasses.field(
        default_factory=lambda: {1: 10, 2: 10, 3: 10, 4: 10}
    )
    learning_rate: float = 1e-3
    scratch_model_options: Mapping[int, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    scratch_tta: str | None = None
    schedule: str = "cosine"
    warmup_epochs: int = 1
    early_stopping: int | None = None
    transfer_early_stopping: int | None = 10
    tuner: str = "bayesian"
    tuning_trials: int = 4
    tuning_epochs: int | None = None
    tuning_start_points: tuple[Mapping[str, Any], ...] = ()
    confirm_top: int = 2
    confirm_seeds: int = 1
    equivalence_margin: float = 0.02
    reference_model: str | None = "resnet50_finetune"
    head_epochs: int = 10
    finetune_epochs: int = 0
    trainable_blocks: int = 1
    finetune_learning_rate: float = 1e-5
    finetune_schedule: str = "constant"
    finetune_warmup_epochs: int = 0
    finetune_average_epochs: int = 0
    finetune_rate_decay: float = 1.0
    transfer_augmentation: str | None = None
    transfer_label_smoothing: float = 0.0
    transfer_weight_decay: float = 0.0
    transfer_refit: bool = False
    transfer_members: int = 1
    transfer_tta: str | None = None
    augment_on: str = "auto"
    precision: str = "auto"
    distribution: str | None = None
    steps_per_execution: int = 1
    bootstrap_resamples: int = 2000

    def __post_init__(self) -> None:
        missing = [s for s in (1, 2, 3, 4) if s not in self.epochs]
        if missing:
            raise ValueError(f"profile {self.name!r}: epochs has no entry for steps {missing}")
        try:
            for key, value in (
                ("scratch_image_size", self.scratch_image_size),
                ("transfer_image_size", self.transfer_image_size),
                ("batch_size", self.batch_size),
                ("head_epochs", self.head_epochs),
                *((f"epochs[{s}]", self.epochs[s]) for s in (1, 2, 3, 4)),
            ):
                check_int(key, value, 1)
            check_int("finetune_epochs", self.finetune_epochs, 0)
            average = self.finetune_average_epochs
            check_int("finetune_average_epochs", average, 0, self.finetune_epochs)
            check_choice("augment_on", self.augment_on, AUGMENT_ON)
            check_choice("precision", self.precision, PRECISIONS)
            check_choice("distribution", self.distribution, (None, *DISTRIBUTIONS))
            check_int("steps_per_execution", self.steps_per_execution, 1)
            if self.tuning_epochs is not None:
                check_int("tuning_epochs", self.tuning_epochs, 1)
            check_choice("finetune_schedule", self.finetune_schedule, SCHEDULES)
            check_int("finetune_warmup_epochs", self.finetune_warmup_epochs, 0)
            check_int("transfer_members", self.transfer_members, 1)
            if not 0 <= self.transfer_label_smoothing < 1:
                raise ValueError(
                    "transfer_label_smoothing must be in [0, 1), got "
                    f"{self.transfer_label_smoothing!r}"
                )
            check_factor("finetune_rate_decay", self.finetune_rate_decay)
            if not self.transfer_weight_decay >= 0:
                raise ValueError(
                    f"transfer_weight_decay must be >= 0, got {self.transfer_weight_decay!r}"
                )
            if not isinstance(self.transfer_refit, bool):
                raise ValueError(
                    f"transfer_refit must be True or False, got {self.transfer_refit!r}"
                )
            _check_tta("scratch_tta", self.scratch_tta)
            _check_tta("transfer_tta", self.transfer_tta)
            _check_scratch_model_options(self.scratch_model_options)
            _check_start_points(self.tuning_start_points)
            check_int("confirm_top", self.confirm_top, 0)
            check_int("confirm_seeds", self.confirm_seeds, 0)
            if not 0 < self.equivalence_margin < 1:
                raise ValueError(
                    f"equivalence_margin must be in (0, 1), got {self.equivalence_margin!r}"
                )
        except ValueError as err:
            raise ValueError(f"profile {self.name!r}: {err}") from err
        if self.transfer_augmentation not in (None, *AUGMENTATION_PRESETS):
            raise ValueError(
                f"profile {self.name!r}: transfer_augmentation must be None or one of "
                f"{', '.join(AUGMENTATION_PRESETS)}, got {self.transfer_augmentation!r}"
            )

    def search_space(self) -> dict[str, Any]:
        """Step 4's search space: the default one, started from step 3's own options.

        Example:
            >>> profile = StudyProfile("p", scratch_model_options={3: {"dropout": 0.2}})
            >>> profile.search_space()["dropout"]
            (0.2, 0.5, 0.3)
        """
        from foodvision.apps.study.search import search_space_from

        return search_space_from(self.scratch_model_options.get(SEARCH_STARTS_FROM, {}))


def _check_tta(field: str, views: Any) -> None:
    """``views`` is ``None`` or test-time views that :func:`resolve_tta` accepts."""
    if views is None:
        return
    if not isinstance(views, str):
        raise ValueError(f"{field} must be None or views such as 'flip,zoom', got {views!r}")
    from foodvision.models.tta import resolve_tta

    try:
        resolve_tta(views)
    except ValueError as err:
        raise ValueError(f"{field}: {err}") from err


def _scratch_models() -> dict[int, str]:
    """``{step: model}`` of the steps whose CNN trains from scratch with its own options."""
    return {step.step: step.model for step in STEPS if step.kind == "scratch"}


def _check_scratch_model_options(options: Any) -> None:
    """``options`` maps steps trained from scratch to mappings of options.

    Their names and values are checked by :func:`check_model_options` (it needs Keras).
    """
    if not isinstance(options, Mapping):
        raise ValueError(f"scratch_model_options must be a mapping, got {options!r}")
    models = _scratch_models()
    for step, chosen in options.items():
        if isinstance(step, bool) or step not in models:
            raise ValueError(
                f"scratch_model_options: {step!r} is not a step trained from scratch "
                f"({', '.join(map(str, models))})"
            )
        if not isinstance(chosen, Mapping):
            raise ValueError(f"scratch_model_options[{step}] must be a mapping, got {chosen!r}")


def _check_start_points(points: Any) -> None:
    """``points`` is a tuple or list of mappings (their values: :func:`check_model_options`)."""
    if not isinstance(points, (tuple, list)) or not all(isinstance(p, Mapping) for p in points):
        raise ValueError(f"tuning_start_points must be a tuple of mappings, got {points!r}")


def check_model_options(profile: StudyProfile) -> None:
    """Step 1-3 options build their models; step 4's start points are in its search space.

    Each step's ``scratch_model_options`` are checked by name and value, and every
    ``tuning_start_points`` value must be one step 4's search can take.

    Run by :func:`foodvision.run_study` before anything loads. Not part of making a
    profile: the check imports the models, and with them Keras, which the command line
    must not import before it has chosen the backend.

    Raises:
        ValueError: An unknown option (the message names the closest one) or a bad value.

    Example:
        >>> check_model_options(StudyProfile("p", scratch_model_options={3: {"dropuot": 0.2}}))
        Traceback (most recent call last):
        ValueError: profile 'p': scratch_model_options[3]: unknown option(s) for model ...
    """
    from foodvision.apps.study.search import check_start_points
    from foodvision.models import get_model_spec

    models = _scratch_models()
    for step, chosen in profile.scratch_model_options.items():
        try:
            get_model_spec(models[step]).make_config(**chosen)
        except ValueError as err:
            raise ValueError(
                f"profile {profile.name!r}: scratch_model_options[{step}]: {err}"
            ) from err
    try:
        check_start_points(list(profile.tuning_start_points), profile.search_space(), profile.tuner)
    except ValueError as err:
        raise ValueError(f"profile {profile.name!r}: tuning_start_points: {err}") from err


FULL_STEP3_OPTIONS: Mapping[str, Any] = {
    "batch_norm": True,
    "convs_per_block": 2,
    "spatial_dropout": 0.0,
    "dropout": 0.2,
}
"""Step 3 of the full profile over ``augmented_cnn``'s defaults: two convolutions per block
with batch normalisation and lighter dropout, chosen on validation data
(``benchmarks/study_choices.py --compare step3_capacity``: 84.1 % against 79.7 % for
the defaults on one validation split; the test split was never evaluated)."""

QUICK_SEARCH_STARTS: tuple[Mapping[str, Any], ...] = (
    {"batch_norm": True, "spatial_dropout": 0.0, "dropout": 0.2},
    {"batch_norm": True, "spatial_dropout": 0.0, "dropout": 0.2, "convs_per_block": 2},
)
"""What step 4 of the quick profile tries right after step 3's own settings: batch norm
with lighter dropout (the full profile's step-3 recipe, :data:`FULL_STEP3_OPTIONS`), with
one and with two convolutions per block. Chosen on validation data only
(``benchmarks/study_choices.py``: on seed 0's split 75.8 % and 78.2 % against 72.9 % for
step 3's settings); in the search they are trials like the others, kept only if they
score best on the data searched."""

PROFILES: dict[str, StudyProfile] = {
    "quick": StudyProfile(
        "quick",
        scratch_image_size=64,
        transfer_image_size=224,
        epochs={1: 10, 2: 10, 3: 30, 4: 30},
        tuner="bayesian",
        tuning_trials=8,
        tuning_start_points=QUICK_SEARCH_STARTS,
        head_epochs=30,
        finetune_epochs=0,
    ),
    "full": StudyProfile(
        "full",
        scratch_image_size=128,
        transfer_image_size=224,
        epochs={1: 30, 2: 40, 3: 80, 4: 80},
        scratch_model_options={3: FULL_STEP3_OPTIONS},
        tuner="bayesian",
        tuning_trials=12,
        head_epochs=30,
        finetune_epochs=15,
        trainable_blocks=2,
        finetune_learning_rate=2e-5,
        finetune_average_epochs=10,
        transfer_augmentation="light",
    ),
}
"""``quick`` fits a 2-core CPU in about an hour and a quarter for one seed (each
further seed about 17 minutes) on the CPU's default backend (TensorFlow, see
:mod:`foodvision.base.backends`): 64 px for the scratch CNNs, few epochs, an 8-trial
Bayesian search of 30-epoch trials (from step 3's settings and
:data:`QUICK_SEARCH_STARTS`), only the head of VGG16 trained on cached features.
``full`` is the real study for a GPU: every scratch CNN runs its whole cosine schedule
(no early stop cuts it before the rate has decayed), step 3 has two convolutions per
block with batch normalisation (:data:`FULL_STEP3_OPTIONS`), step 4's search starts from
it and trains 12 trials of the retraining's length, and VGG16's phase 2 trains blocks 4-5
on "light"-augmented images for 15 epochs and keeps the mean of the weights of the last
10. ``gpu`` is ``full`` sized for one GPU (run it on the JAX backend): every step at
224 px in batches of 128 per device, mixed bfloat16, augmentation inside the compiled
step, and twice the peak learning rate of the scratch CNNs for four times the batch
(Adam's square-root rule).

Example:
    >>> sorted(PROFILES), PROFILES["full"].scratch_image_size
    (['full', 'gpu', 'quick'], 128)
"""

PROFILES["gpu"] = dataclasses.replace(
    PROFILES["full"],
    name="gpu",
    scratch_image_size=224,
    batch_size=128,
    learning_rate=2e-3,
    augment_on="device",
    precision="mixed_bfloat16",
)


@dataclasses.dataclass(frozen=True)
class PlannedStep:
    """One row of the study plan: a step with its size filled in."""

    step: int
    name: str
    title: str
    model: str
    augmentation: str | None
    image_size: int
    epochs: int
    schedule: str
    change: str
    kind: str = "scratch"

    @property
    def folder(self) -> str:
        """The step's folder name, e.g. ``step1_baseline`` (the reference row: ``reference``)."""
        return "reference" if self.step == REFERENCE_STEP else f"step{self.step}_{self.name}"


REFERENCE_STEP = 0
"""The step number of the reference row (a stronger backbone beside the five steps)."""


def reference_row(profile: str | StudyProfile) -> PlannedStep | None:
    """The reference row: ``profile.reference_model`` trained as step 5 is, or ``None``.

    Example:
        >>> reference_row("quick").model, reference_row("quick").folder
        ('resnet50_finetune', 'reference')
    """
    config = resolve_profile(profile)
    if config.reference_model is None:
        return None
    (step5,) = study_plan(config, steps=[5])
    return dataclasses.replace(
        step5,
        step=REFERENCE_STEP,
        name="reference",
        title=f"Reference: {config.reference_model}",
        model=config.reference_model,
        change="A stronger ImageNet backbone, trained as step 5 is: how far transfer "
        "learning can go on this data. Not compared with the steps.",
    )


def resolve_profile(profile: str | StudyProfile) -> StudyProfile:
    """The :class:`StudyProfile` for a name (or the profile itself).

    Raises:
        ValueError: An unknown name; the message lists the valid ones.
    """
    if isinstance(profile, StudyProfile):
        return profile
    if profile not in PROFILES:
        close = difflib.get_close_matches(str(profile), PROFILES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(
            f"unknown profile {profile!r}{hint}. Valid profiles: {', '.join(PROFILES)}, or a "
            "StudyProfile"
        )
    return PROFILES[profile]


def resolve_steps(steps: Iterable[Any]) -> tuple[int, ...]:
    """Sorted, de-duplicated step numbers.

    Raises:
        ValueError: A step that does not exist, or no step; the message lists the valid ones.
    """
    chosen = list(steps)
    bad = [s for s in chosen if isinstance(s, bool) or s not in STEP_NUMBERS]
    if bad or not chosen:
        what = f"unknown step(s) {bad}" if bad else "no step chosen"
        valid = ", ".join(f"{s.step} ({s.name})" for s in STEPS)
        raise ValueError(f"{what}; valid steps: {valid}")
    return tuple(sorted(set(int(s) for s in chosen)))


def study_plan(
    profile: str | StudyProfile = "quick", steps: Iterable[int] = STEP_NUMBERS
) -> list[PlannedStep]:
    """The study's table: one :class:`PlannedStep` per chosen step.

    Example:
        >>> [row.image_size for row in study_plan("quick")]
        [64, 64, 64, 64, 224]

    """
    chosen = resolve_steps(steps)
    config = resolve_profile(profile)
    rows = []
    for step in STEPS:
        if step.step not in chosen:
            continue
        transfer = step.kind == "transfer"
        epochs = (
            config.head_epochs + config.finetune_epochs if transfer else config.epochs[step.step]
        )
        rows.append(
            PlannedStep(
                step=step.step,
                name=step.name,
                title=step.title,
                model=step.model,
                augmentation=config.transfer_augmentation if transfer else step.augmentation,
                image_size=config.transfer_image_size if transfer else config.scratch_image_size,
                epochs=epochs,
                schedule="two-phase" if transfer else config.schedule,
                change=step.change,
                kind=step.kind,
            )
        )
    return rows
