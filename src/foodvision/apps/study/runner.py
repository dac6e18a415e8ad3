"""Run the five-step study: train, evaluate and compare every step on one test set.

With several seeds every step runs once per seed (each seed also redraws the
validation split), seed ``k`` of every step paired, and the steps are compared by their
paired differences over seeds (see :mod:`foodvision.apps.study.seeds`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.apps.study import records
from foodvision.apps.study.inputs import DataAtSize
from foodvision.apps.study.page import write_study_page
from foodvision.apps.study.plan import (
    STEP_NUMBERS,
    PlannedStep,
    StudyProfile,
    check_model_options,
    reference_row,
    resolve_profile,
    study_plan,
)
from foodvision.apps.study.records import StepResult
from foodvision.apps.study.seeds import compare_over_seeds, seed_list, summarise_over_seeds
from foodvision.apps.study.steps import STEP_RUNNERS, StepContext, StepOutcome
from foodvision.base.files import write_text_atomic
from foodvision.base.log import library_logger
from foodvision.evaluation import bootstrap_accuracy_ci, evaluate, mcnemar_test
from foodvision.models import local_imagenet_weights
from foodvision.training.compile_cache import use_compilation_cache
from foodvision.training.model_output import write_run_model
from foodvision.training.placement import device_count, resolve_distribution
from foodvision.training.precision import resolve_precision
from foodvision.training.processes import require_one_process

SUMMARY_KEYS = (
    "step",
    "name",
    "model",
    "test_accuracy",
    "test_loss",
    "epochs_run",
    "test_accuracy_ci95",
    "train_seconds",
    "train_images_per_second",
    "report_dir",
    "model_file",
)
"""Keys every entry of ``summary.json``'s ``steps`` has (more may follow)."""


@dataclasses.dataclass
class StudyResult:
    """What :func:`run_study` produced.

    Attributes:
        summary: The content of ``summary.json``.
        steps: One :class:`~foodvision.apps.study.records.StepResult` per step run.
        out_dir: The study folder.
        page: Path of ``study.html``.

    Example:
        >>> result = fv.run_study("synthetic", steps=[1, 5], out_dir="runs/s")  # doctest: +SKIP
        >>> [s["test_accuracy"] for s in result.summary["steps"]]  # doctest: +SKIP
        [0.67, 0.99]
    """

    summary: dict[str, Any]
    steps: list[StepResult]
    out_dir: Path
    page: Path


def _printer(verbose: int) -> Callable[[str], None]:
    """One progress line of the study, through the ``foodvision`` logger (none at 0)."""
    logger = library_logger()

    def say(text: str) -> None:
        if verbose:
            logger.info("[study] %s", text)

    return say


@dataclasses.dataclass(frozen=True)
class _Study:
    """The settings every step of one :func:`run_study` call shares."""

    profile: StudyProfile
    seed: int
    out: Path
    backend: str
    epoch_verbosity: int
    tensorboard: Path | None
    say: Callable[[str], None]
    search_dir: Path | None = None
    search_seed: int | None = None
    first_seed: bool = True


def _run_step(study: _Study, row: PlannedStep, data: Any) -> StepResult:
    """Reuse the step when it is done with these settings, else train and evaluate it."""
    step_dir = study.out / row.folder
    fingerprint = records.fingerprint(study.profile, row, study.seed, data, study.backend)
    done = records.load_done(step_dir, fingerprint, row)
    if done is not None:
        study.say(f"step {row.step} ({row.model}) already done: reusing {step_dir}")
        return done
    records.start_attempt(step_dir, fingerprint, row, study.say)
    augmentation = "from the search" if row.kind == "search" else row.augmentation or "none"
    study.say(
        f"step {row.step}: {row.title} ({row.model}, {row.image_size}px, {row.epochs} "
        f"epochs, augmentation {augmentation})"
    )
    context = StepContext(
        data,
        study.profile,
        study.seed,
        step_dir,
        study.epoch_verbosity,
        study.tensorboard / row.folder if study.tensorboard is not None else None,
        study.say,
        search_dir=study.search_dir,
        search_key=records.fingerprint(study.profile, row, study.search_seed, data, study.backend)
        if row.kind == "search" and study.search_seed is not None
        else None,
        search_seed=study.search_seed,
    )
    outcome = STEP_RUNNERS[row.kind](row, context)
    result = _evaluate_step(study, row, data, step_dir, outcome)
    records.save_done(step_dir, fingerprint, result)
    low, high = result.summary["test_accuracy_ci95"]
    study.say(
        f"step {row.step}: test accuracy {result.summary['test_accuracy']:.3f} "
        f"(95% CI {low:.3f}-{high:.3f}), {outcome.train_seconds:.0f}s"
    )
    return result


def _evaluate_step(
    study: _Study, row: PlannedStep, data: Any, step_dir: Path, outcome: StepOutcome
) -> StepResult:
    """Evaluate the trained model on the test split, save its report, build its summary.

    A step of a profile with test-time views (``transfer_tta`` for step 5,
    ``scratch_tta`` for steps 1-4) is scored on the mean output over them; the single
    view's accuracy stays in the summary beside it.
    """
    study.say(f"step {row.step}: evaluating on {data.num_images('test')} test images")
    profile = study.profile
    views = profile.transfer_tta if row.kind == "transfer" else profile.scratch_tta
    report = evaluate(
        outcome.model,
        data.test,
        data.class_names,
        history=outcome.history,
        files=data.files.get("test") or None,
        title=f"Step {row.step}: {row.title}",
        outputs=outcome.test_outputs,
        interpret=study.first_seed,  # the page links the first seed's reports
        tta=views or False,
    )
    report_dir = step_dir / "report"
    study.say(f"step {row.step}: writing the report and the model to {step_dir}")
    report.save(report_dir)
    scored = report.tta["probabilities"] if report.tta else report.probabilities
    correct = scored.argmax(axis=1) == report.labels
    trained = outcome.images_trained
    if trained is None:
        trained = data.num_images("train") * outcome.epochs_this_run
    seconds = outcome.train_seconds
    interval = bootstrap_accuracy_ci(
        correct, resamples=study.profile.bootstrap_resamples, seed=study.seed
    )
    tta_fields = (
        {
            "test_time_views": report.tta["views"],
            "test_accuracy_single_view": float(report.metrics.accuracy),
        }
        if report.tta
        else {}
    )
    metrics = {
        "test_accuracy": float(correct.mean()),
        "test_accuracy_ci95": list(interval),
        "test_images": len(correct),
        **tta_fields,
    }
    settings = {
        "study_step": row.step,
        "profile": study.profile.name,
        "epochs": len(outcome.history.get("loss", [])),
        "augmentation": outcome.extra.get("augmentation", row.augmentation) or "none",
        "precision": study.profile.precision,
        "seed": study.seed,
    }
    if "model_options" in outcome.extra:
        settings["model options"] = outcome.extra["model_options"]
    model_path = write_run_model(outcome.model, data, step_dir, training=settings, metrics=metrics)
    summary = {
        "step": row.step,
        "name": row.name,
        "model": outcome.model.name if row.kind == "search" else row.model,
        "test_accuracy": float(correct.mean()),
        "test_loss": float(report.tta["loss"] if report.tta else report.metrics.loss),
        "epochs_run": len(outcome.history.get("loss", [])),
        "test_accuracy_ci95": list(interval),
        "train_seconds": seconds,
        "train_images_per_second": trained / seconds if seconds > 0 else None,
        "report_dir": os.path.relpath(report_dir, study.out),
        "model_file": os.path.relpath(model_path, study.out),
        "title": row.title,
        "image_size": row.image_size,
        "augmentation": row.augmentation,
        **tta_fields,
        **outcome.extra,
    }
    probabilities = np.asarray(scored, dtype="float32")  # as a reused step reads them back
    return StepResult(row, summary, correct, report.labels, outcome.history, probabilities)


def run_study(
    data: Any = "synthetic",
    steps: Iterable[int] = STEP_NUMBERS,
    out_dir: str | os.PathLike = "runs/study",
    profile: str | StudyProfile = "quick",
    seed: int = 0,
    *,
    seeds: int | Sequence[int] = 1,
    classes: Iterable[str] | None = None,
    loader: str = "auto",
    augment_on: str | None = None,
    precision: str | None = None,
    distribution: str | None = None,
    steps_per_execution: int | None = None,
    tensorboard: str | os.PathLike | None = None,
    verbose: int = 1,
) -> StudyResult:
    """Run the study's steps, write a report per step, ``summary.json`` and ``study.html``.

    Each step trains on the same training split and is evaluated on the same test
    images, so steps can be compared image by image. With one seed every accuracy
    carries a 95 % bootstrap interval and consecutive steps are compared with McNemar's
    test. With several seeds every step runs once per seed (each seed redraws the
    validation split and seeds the training), seed ``k`` of each step paired with seed
    ``k`` of the others; the page gives each step's mean and spread over seeds and each
    comparison's mean paired difference with a two-way bootstrap interval (seeds and
    test images), Holm-corrected p-values and an equivalence test
    (``profile.equivalence_margin``). Step 4's search runs once, on the first seed, and
    each seed retrains its choice; the first seed's reports also look inside the models
    (filters, feature maps, Grad-CAM), the other seeds' give their metrics. A step
    finished by an earlier run with the same settings is not run again, and an
    interrupted step resumes from its last finished epoch.

    Args:
        data: ``"synthetic"`` (built-in), ``"food101"``, a dataset folder (class per
            folder or Food-101 layout), or an :class:`~foodvision.ImageData` (resized to
            each step's image size; its splits are fixed, so only the training seed
            changes between seeds).
        steps: Step numbers to run (see :data:`~foodvision.STEPS`).
        out_dir: The study folder: ``step<N>_<name>/`` per step (with several seeds,
            ``seed<k>/`` per seed, each a one-seed study, and ``search/``),
            ``summary.json``, ``study.html`` and its figures.
        profile: ``"quick"``, ``"full"``, ``"gpu"`` or a :class:`StudyProfile`.
        seed: Seed of the data splits, the training and the bootstrap (the first seed).
        seeds: How many seeds (``seed``, ``seed + 1``, ...), or the seeds themselves.
        classes: Subset of classes of a Food-101 or folder dataset.
        loader: How files are loaded: ``"tf"``, ``"arrays"`` (no TensorFlow) or
            ``"auto"`` (see :func:`foodvision.load_data`).
        augment_on: Where augmentation runs (``"device"``, ``"pipeline"``, ``"auto"``;
            see :func:`foodvision.train`); ``None`` keeps the profile's.
        precision: Dtype policy of the training (``"float32"``, ``"mixed_bfloat16"``,
            ``"mixed_float16"``, ``"auto"``); ``None`` keeps the profile's. ``"auto"``
            is resolved on this machine before the steps run, and the resolved policy is
            part of each step's settings.
        distribution: ``"data_parallel"`` trains every step on all devices (JAX), with
            the profile's batch size on each (the data, an ``ImageData`` too, is batched
            to that times the number of devices); ``None`` keeps the profile's.
        steps_per_execution: Train steps per compiled call; ``None`` keeps the profile's.
        tensorboard: Folder for TensorBoard logs, one sub-folder per step (the search
            step logs its retraining); ``None`` writes none.
        verbose: 0 silent, 1 one line per step and per epoch, 2 progress bars.

    Returns:
        A :class:`StudyResult` (with several seeds: ``steps`` holds the last seed's).

    Raises:
        ValueError: Unknown steps or profile, bad seeds, or data without a test split.
        FileNotFoundError: ``data`` names a folder that does not exist.

    Example:
        >>> result = fv.run_study("synthetic", steps=[1, 3], out_dir="runs/study")  # doctest: +SKIP
        >>> result.summary["steps"][1]["test_accuracy"]  # doctest: +SKIP
        >>> fv.run_study("food101-mini5", seeds=5, out_dir="runs/seeds")  # doctest: +SKIP

    """
    import keras

    require_one_process("the study")
    config = _with_overrides(
        resolve_profile(profile),
        augment_on=augment_on,
        precision=precision,
        distribution=distribution,
        steps_per_execution=steps_per_execution,
    )
    plan = study_plan(config, steps)  # bad steps fail here, before anything loads
    check_model_options(config)
    chosen = seed_list(seed, seeds)
    devices = device_count(resolve_distribution(config.distribution))
    out = Path(out_dir)

    def data_for(run_seed: int) -> DataAtSize:
        return DataAtSize(
            data,
            config,
            run_seed,
            list(classes) if classes else None,
            loader,
            batch_size=config.batch_size * devices if devices > 1 else None,
        )

    first_data = data_for(chosen[0])
    first_data(plan[0].image_size)  # a missing folder or bad layout fails before output
    out.mkdir(parents=True, exist_ok=True)
    use_compilation_cache(out / "compile_cache")
    several = len(chosen) > 1
    say = _printer(verbose)
    say(
        f"profile {config.name}, backend {keras.backend.backend()}, precision "
        f"{config.precision}, {devices} device(s), steps {[r.step for r in plan]}"
        + (f", seeds {chosen}" if several else "")
    )
    started = time.perf_counter()
    runs = []
    for run_seed in chosen:
        study = _Study(
            config,
            run_seed,
            out / f"seed{run_seed}" if several else out,
            keras.backend.backend(),
            {0: 0, 1: 2, 2: 1}.get(verbose, 2),
            _seed_folder(tensorboard, run_seed, several),
            say if not several else _seed_printer(say, run_seed),
            search_dir=out / "search" if several else None,
            search_seed=chosen[0],
            first_seed=run_seed == chosen[0],
        )
        at_size = first_data if run_seed == chosen[0] else data_for(run_seed)
        runs.append(_run_seed(study, plan, at_size, devices))
    if not several:
        summary, results = runs[0]
        page = study.out / "study.html"
        say(f"done in {summary['total_seconds']:.0f}s: {page}")
        return StudyResult(summary, results, out, page)
    summary = _summary_over_seeds(config, chosen, runs, plan)
    summary["total_seconds"] = time.perf_counter() - started
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    histories = {r.row.step: r.history for r in runs[0][1]}
    page = write_study_page(out, summary, histories)
    say(f"done in {summary['total_seconds']:.0f}s: {page}")
    return StudyResult(summary, runs[-1][1], out, page)


def _summary_over_seeds(
    config: StudyProfile,
    seeds: list[int],
    runs: list[tuple[dict[str, Any], list[StepResult]]],
    plan: list[PlannedStep],
) -> dict[str, Any]:
    """``summary.json`` of a study over several seeds (see :mod:`.seeds`)."""
    results = [steps for _, steps in runs]
    first = runs[0][0]
    summary = {
        **{k: first[k] for k in ("dataset", "class_names", "test_images", "backend")},
        "profile": config.name,
        "precision": config.precision,
        "devices": first["devices"],
        "seed": seeds[0],
        "seeds": seeds,
        "steps": summarise_over_seeds(results, seeds, config.bootstrap_resamples, seeds[0]),
        "comparisons": compare_over_seeds(
            results,
            margin=config.equivalence_margin,
            resamples=config.bootstrap_resamples,
            seed=seeds[0],
        ),
        "seed_summaries": [f"seed{k}/summary.json" for k in seeds],
        "plan": [dataclasses.asdict(r) for r in plan],
    }
    if "reference" in first:  # trained on the first seed
        summary["reference"] = _in_folder(first["reference"], f"seed{seeds[0]}")
    return summary


def _in_folder(entry: dict[str, Any], folder: str) -> dict[str, Any]:
    """A summary entry whose report and model paths are read from ``folder``'s parent."""
    moved = dict(entry)
    for key in ("report_dir", "model_file"):
        if key in moved:
            moved[key] = f"{folder}/{moved[key]}"
    return moved


def _seed_folder(tensorboard: Any, run_seed: int, several: bool) -> Path | None:
    if tensorboard is None:
        return None
    return Path(tensorboard) / f"seed{run_seed}" if several else Path(tensorboard)


def _seed_printer(say: Callable[[str], None], run_seed: int) -> Callable[[str], None]:
    return lambda text: say(f"seed {run_seed}: {text}")


def _run_reference(study: _Study, row: PlannedStep, data: Any) -> dict[str, Any]:
    """The reference row: trained and evaluated as a step when its weights are here."""
    _, why = local_imagenet_weights(row.model)
    if why:
        study.say(f"reference {row.model}: not available ({why})")
        return {"model": row.model, "available": False, "reason": why}
    result = _run_step(study, row, data)
    return {"available": True, **result.summary}


def _run_seed(
    study: _Study, plan: list[PlannedStep], at_size: DataAtSize, devices: int
) -> tuple[dict[str, Any], list[StepResult]]:
    """Run every step of the plan with one seed; write its ``summary.json`` and page."""
    started = time.perf_counter()
    study.out.mkdir(parents=True, exist_ok=True)
    results = []
    for row in plan:
        step_data = at_size(row.image_size)
        if step_data.test is None:
            raise ValueError(
                "the study compares the steps on a test split, but the data has none; load "
                "a folder with test_split > 0 or use Food-101's official test split"
            )
        results.append(_run_step(study, row, step_data))
    reference = reference_row(study.profile) if study.first_seed else None
    if reference is not None and any(row.kind == "transfer" for row in plan):
        reference_entry = _run_reference(study, reference, at_size(reference.image_size))
    else:
        reference_entry = None
    first = at_size(plan[0].image_size)
    summary = {
        "dataset": first.source,
        "class_names": list(first.class_names),
        "test_images": first.num_images("test"),
        "backend": study.backend,
        "profile": study.profile.name,
        "precision": study.profile.precision,
        "devices": devices,
        "seed": study.seed,
        "steps": [r.summary for r in results],
        "comparisons": _comparisons(results),
        "plan": [dataclasses.asdict(r) for r in plan],
        "total_seconds": time.perf_counter() - started,
    }
    if reference_entry is not None:
        summary["reference"] = reference_entry
    write_text_atomic(study.out / "summary.json", json.dumps(summary, indent=2) + "\n")
    write_study_page(study.out, summary, {r.row.step: r.history for r in results})
    return summary, results


def _with_overrides(config: StudyProfile, **overrides: Any) -> StudyProfile:
    """The profile with the given fields replaced (``None`` keeps a field).

    Its ``"auto"`` precision is resolved on this machine; a reference model that is not a
    transfer model fails here, before anything runs.
    """
    changes = {key: value for key, value in overrides.items() if value is not None}
    config = dataclasses.replace(config, **changes)
    if config.reference_model is not None:
        try:
            local_imagenet_weights(config.reference_model)
        except ValueError as err:
            raise ValueError(f"profile {config.name!r}: reference_model {err}") from err
    return dataclasses.replace(config, precision=resolve_precision(config.precision))


def _comparisons(results: list[StepResult]) -> list[dict[str, Any]]:
    """McNemar's test between consecutive steps (in the order they ran)."""
    rows = []
    for before, after in zip(results, results[1:]):
        row: dict[str, Any] = {
            "from_step": before.row.step,
            "to_step": after.row.step,
            "accuracy_change": after.summary["test_accuracy"] - before.summary["test_accuracy"],
        }
        if len(before.labels) == len(after.labels) and np.array_equal(before.labels, after.labels):
            test = mcnemar_test(after.correct, before.correct)
            row.update(
                only_after_right=test.discordant[0],
                only_before_right=test.discordant[1],
                p_value=test.p_value,
                significant=test.significant(),
            )
        else:
            row.update(p_value=None, significant=None, note="different test images")
        rows.append(row)
    return rows
