"""Run the five-step study: train, evaluate and compare every step on one test set."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.evaluation.figures import history_dict
from foodvision.study.plan import (
    STEP_NUMBERS,
    PlannedStep,
    StudyProfile,
    resolve_profile,
    study_plan,
)

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
)
"""Keys every entry of ``summary.json``'s ``steps`` has (more may follow)."""


@dataclasses.dataclass
class StepResult:
    """What one step produced.

    Attributes:
        row: The step's plan.
        summary: Its ``summary.json`` entry (see :data:`SUMMARY_KEYS`).
        correct: Per-test-image correctness, in test-set order.
        labels: Test labels, in test-set order (to check that steps share the test set).
        history: Training history (``{"val_accuracy": [...], ...}``).
    """

    row: PlannedStep
    summary: dict[str, Any]
    correct: np.ndarray
    labels: np.ndarray
    history: dict[str, list[float]]


@dataclasses.dataclass
class StudyResult:
    """What :func:`run_study` produced.

    Attributes:
        summary: The content of ``summary.json``.
        steps: One :class:`StepResult` per step run.
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


def _say(verbose: int, text: str) -> None:
    if verbose:
        print(f"[study] {text}", flush=True)


def _resized(data: Any, size: int) -> Any:
    """``data`` with every image resized to ``size`` x ``size`` (same dtype)."""
    import tensorflow as tf

    if tuple(data.image_size) == (size, size):
        return data

    def resize(images: Any, labels: Any) -> tuple[Any, Any]:
        out = tf.image.resize(tf.cast(images, tf.float32), (size, size), antialias=True)
        if images.dtype == tf.uint8:
            out = tf.cast(tf.clip_by_value(tf.round(out), 0, 255), tf.uint8)
        return out, labels

    splits = {
        name: getattr(data, name).map(resize) if getattr(data, name) is not None else None
        for name in ("train", "val", "test")
    }
    return dataclasses.replace(data, image_size=(size, size), **splits)


class _DataAtSize:
    """Loads (or resizes) the study's data once per image size."""

    def __init__(self, data: Any, profile: StudyProfile, seed: int, classes: Any) -> None:
        self.data, self.profile, self.seed, self.classes = data, profile, seed, classes
        self.loaded: dict[int, Any] = {}

    def __call__(self, size: int) -> Any:
        from foodvision.data import ImageData, load_data

        if size not in self.loaded:
            if isinstance(self.data, ImageData):
                self.loaded[size] = _resized(self.data, size)
            elif not isinstance(self.data, (str, os.PathLike)):
                raise ValueError(
                    "data must be an ImageData, a folder, 'food101' or 'synthetic'; got "
                    f"{type(self.data).__name__}"
                )
            else:
                self.loaded[size] = load_data(
                    self.data,
                    image_size=(size, size),
                    batch_size=self.profile.batch_size,
                    classes=self.classes,
                    seed=self.seed,
                )
        return self.loaded[size]


def _train_scratch(
    row: PlannedStep,
    data: Any,
    config: StudyProfile,
    seed: int,
    model_options: dict[str, Any] | None = None,
    **kw: Any,
):
    """Build the step's CNN and train it; ``(model, history, seconds, epochs run)``."""
    from foodvision.models import build_model
    from foodvision.training import train
    from foodvision.training.callbacks import EpochTimer

    model = build_model(
        row.model,
        num_classes=data.num_classes,
        input_shape=(*data.image_size, 3),
        **(model_options or {}),
    )
    seconds: list[float] = []
    history = train(
        model,
        data,
        epochs=row.epochs,
        learning_rate=kw.pop("learning_rate", config.learning_rate),
        schedule=config.schedule,
        warmup_epochs=config.warmup_epochs,
        augmentation=kw.pop("augmentation", row.augmentation),
        early_stopping=config.early_stopping,
        seed=seed,
        callbacks=[EpochTimer(seconds)],
        **kw,
    )
    return model, history_dict(history), sum(seconds), len(seconds)


def _run_step(
    row: PlannedStep,
    data: Any,
    config: StudyProfile,
    seed: int,
    step_dir: Path,
    verbose: int,
) -> tuple[Any, dict[str, list[float]], dict[str, Any], Any]:
    """Train one step; ``(model, history, extra summary fields, test outputs or None)``."""
    checkpoint = step_dir / "checkpoint"
    common = dict(checkpoint_dir=checkpoint, verbose=verbose)
    if row.step in (1, 2, 3):
        model, history, seconds, ran = _train_scratch(row, data, config, seed, **common)
        return model, history, {"train_seconds": seconds, "epochs_this_run": ran}, None
    if row.step == 4:
        from foodvision.tuning import tune_cnn

        tuning = tune_cnn(
            data,
            tuner=config.tuner,
            max_trials=config.tuning_trials,
            epochs=config.tuning_epochs,
            schedule=config.schedule,
            warmup_epochs=config.warmup_epochs,
            directory=step_dir / "tuner",
            seed=seed,
        )
        tuning.save(step_dir / "tuning")
        best = tuning.best_hyperparameters
        augmentation = best.get("augmentation", row.augmentation or "standard")
        _say(verbose, f"best hyperparameters (val accuracy {tuning.best_score:.3f}): {best}")
        model, history, seconds, ran = _train_scratch(
            dataclasses.replace(row, model="tuned_cnn"),
            data,
            config,
            seed,
            model_options={"hyperparameters": best},
            learning_rate=best.get("learning_rate", config.learning_rate),
            augmentation=augmentation,
            **common,
        )
        return (
            model,
            history,
            {
                "train_seconds": seconds,
                "epochs_this_run": ran,
                "tuning_seconds": tuning.seconds,
                "tuner": tuning.tuner,
                "tuning_trials": len(tuning.trials),
                "best_hyperparameters": best,
                "best_trial_val_accuracy": tuning.best_score,
                "augmentation": augmentation,
            },
            None,
        )
    from foodvision.models import build_model
    from foodvision.training import fine_tune

    model = build_model(row.model, num_classes=data.num_classes, input_shape=(*data.image_size, 3))
    features = step_dir / "features"
    try:
        result = fine_tune(
            model,
            data,
            head_epochs=config.head_epochs,
            finetune_epochs=config.finetune_epochs,
            trainable_blocks=config.trainable_blocks,
            learning_rate=config.learning_rate,
            finetune_learning_rate=config.finetune_learning_rate,
            finetune_average_epochs=config.finetune_average_epochs,
            augmentation=row.augmentation,
            augment_head=False,
            feature_dir=features,
            early_stopping=config.transfer_early_stopping,
            seed=seed,
            **common,
        )
    finally:
        shutil.rmtree(features, ignore_errors=True)
    seconds = result.feature_seconds + result.train_seconds
    ran = len(result.epoch_seconds.get("head", [])) + len(result.epoch_seconds.get("finetune", []))
    extra = {
        "train_seconds": seconds,
        "epochs_this_run": ran,
        "feature_seconds": result.feature_seconds,
        "cached_features": result.cached_features,
        "cached_boundary": result.boundary,
        "head_epochs": len(result.head.history.get("loss", [])),
        "finetune_epochs": len(result.finetune.history.get("loss", [])) if result.finetune else 0,
        "trainable_blocks": config.trainable_blocks,
        "averaged_epochs": result.averaged_epochs,
    }
    return model, history_dict(result.history), extra, result.test_outputs


_TRANSFER_SETTINGS = frozenset(
    {
        "transfer_image_size",
        "transfer_early_stopping",
        "head_epochs",
        "finetune_epochs",
        "trainable_blocks",
        "finetune_learning_rate",
        "finetune_average_epochs",
        "transfer_augmentation",
    }
)
_SCRATCH_SETTINGS = frozenset(
    {"scratch_image_size", "epochs", "schedule", "warmup_epochs", "early_stopping"}
)
_TUNING_SETTINGS = frozenset({"tuner", "tuning_trials", "tuning_epochs"})


def _step_settings(config: StudyProfile, step: int) -> dict[str, Any]:
    """The profile fields that can change ``step``'s result.

    Editing, say, the fine-tuning epochs then does not throw away finished CNN steps.
    """
    settings = json.loads(json.dumps(dataclasses.asdict(config), default=str))
    settings.pop("name")
    unused = _SCRATCH_SETTINGS if step == 5 else _TRANSFER_SETTINGS
    if step != 4:
        unused |= _TUNING_SETTINGS
    settings = {k: v for k, v in settings.items() if k not in unused}
    if step != 5:
        settings["epochs"] = settings["epochs"][str(step)]
    return settings


def _fingerprint(
    config: StudyProfile, step: int, seed: int, data: Any, backend: str
) -> dict[str, Any]:
    return {
        "settings": _step_settings(config, step),
        "seed": seed,
        "dataset": data.source,
        "class_names": list(data.class_names),
        "test_images": data.num_images("test"),
        "backend": backend,
    }


_PROSE_FIELDS = ("title", "change")
"""Plan fields that only describe a step: rewording them does not make it run again."""


def _same_run(saved: Any, fingerprint: dict[str, Any], plan: dict[str, Any]) -> bool:
    """Whether a saved record (``step.json`` or ``attempt.json``) has these settings."""
    if not isinstance(saved, dict) or not isinstance(saved.get("plan"), dict):
        return False

    def settings(fields: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in fields.items() if k not in _PROSE_FIELDS}

    return saved.get("fingerprint") == fingerprint and settings(saved["plan"]) == settings(plan)


def _load_done(step_dir: Path, fingerprint: dict[str, Any], row: PlannedStep) -> StepResult | None:
    """A step finished by an earlier run with the same settings, or ``None``."""
    path = step_dir / "step.json"
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        warnings.warn(f"{path} cannot be read ({err}); the step runs again", stacklevel=2)
        return None
    if not _same_run(saved, fingerprint, dataclasses.asdict(row)):
        return None
    return StepResult(
        row,
        saved["summary"],
        np.array([c == "1" for c in saved["correct"]]),
        np.array(saved["labels"]),
        saved["history"],
    )


_ATTEMPT_FILE = "attempt.json"
_ATTEMPT_STATE = ("checkpoint", "tuner")


def _start_attempt(
    step_dir: Path, fingerprint: dict[str, Any], row: PlannedStep, verbose: int
) -> None:
    """Keep an interrupted attempt's checkpoints only if it had the same settings.

    A step that crashed resumes from its checkpoints; a step whose settings changed
    since (another profile, seed, dataset or backend) starts over instead of resuming
    a different run.
    """
    from foodvision.training.files import write_text_atomic

    record = json.loads(
        json.dumps({"fingerprint": fingerprint, "plan": dataclasses.asdict(row)}, default=str)
    )
    path = step_dir / _ATTEMPT_FILE
    try:
        previous = json.loads(path.read_text())
    except FileNotFoundError:
        previous = None
    except (OSError, ValueError):
        previous = {}  # unreadable: treat as different settings
    stale = [step_dir / name for name in _ATTEMPT_STATE if (step_dir / name).exists()]
    if stale and not _same_run(previous, record["fingerprint"], record["plan"]):
        _say(verbose, f"step {row.step}: settings changed since the last attempt; starting over")
        for folder in stale:
            shutil.rmtree(folder)
    step_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(record, indent=2) + "\n")


def _save_done(step_dir: Path, fingerprint: dict[str, Any], result: StepResult) -> None:
    from foodvision.training.files import write_text_atomic

    record = {
        "fingerprint": fingerprint,
        "plan": dataclasses.asdict(result.row),
        "summary": result.summary,
        "correct": "".join("1" if c else "0" for c in result.correct),
        "labels": [int(v) for v in result.labels],
        "history": result.history,
    }
    write_text_atomic(step_dir / "step.json", json.dumps(record) + "\n")


def run_study(
    data: Any = "synthetic",
    steps: Iterable[int] = STEP_NUMBERS,
    out_dir: str | os.PathLike = "runs/study",
    profile: str | StudyProfile = "quick",
    seed: int = 0,
    *,
    classes: Iterable[str] | None = None,
    verbose: int = 1,
) -> StudyResult:
    """Run the study's steps, write a report per step, ``summary.json`` and ``study.html``.

    Each step trains on the same training split and is evaluated on the same test
    images, so steps can be compared image by image: every accuracy carries a 95 %
    bootstrap interval and consecutive steps are compared with McNemar's test. A step
    finished by an earlier run with the same settings is not run again, and an
    interrupted step resumes from its last finished epoch.

    Args:
        data: ``"synthetic"`` (built-in), ``"food101"``, a dataset folder (class per
            folder or Food-101 layout), or an :class:`~foodvision.ImageData` (resized to
            each step's image size).
        steps: Step numbers to run (see :data:`~foodvision.study.STEPS`).
        out_dir: The study folder: ``step<N>_<name>/`` per step, ``summary.json``,
            ``study.html`` and its figures.
        profile: ``"quick"``, ``"full"`` or a :class:`StudyProfile`.
        seed: Seed of the data splits, the training and the bootstrap.
        classes: Subset of classes of a Food-101 or folder dataset.
        verbose: 0 silent, 1 one line per step and per epoch, 2 progress bars.

    Returns:
        A :class:`StudyResult`.

    Raises:
        ValueError: Unknown steps or profile, or data without a test split.
        FileNotFoundError: ``data`` names a folder that does not exist.

    Example:
        >>> result = fv.run_study("synthetic", steps=[1, 3], out_dir="runs/study")  # doctest: +SKIP
        >>> result.summary["steps"][1]["test_accuracy"]  # doctest: +SKIP

    """
    import keras

    from foodvision.evaluation import bootstrap_accuracy_ci, evaluate
    from foodvision.study.page import write_study_page

    config = resolve_profile(profile)
    plan = study_plan(config, steps)  # bad steps fail here, before anything loads
    at_size = _DataAtSize(data, config, seed, list(classes) if classes else None)
    at_size(plan[0].image_size)  # a missing folder or a bad layout fails before any output
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    backend = keras.backend.backend()
    epoch_verbosity = {0: 0, 1: 2, 2: 1}.get(verbose, 2)
    _say(verbose, f"profile {config.name}, backend {backend}, steps {[r.step for r in plan]}")
    started = time.perf_counter()
    results: list[StepResult] = []
    first = None
    for row in plan:
        step_data = at_size(row.image_size)
        first = first or step_data
        if step_data.test is None:
            raise ValueError(
                "the study compares the steps on a test split, but the data has none; load "
                "a folder with test_split > 0 or use Food-101's official test split"
            )
        step_dir = out / row.folder
        fingerprint = _fingerprint(config, row.step, seed, step_data, backend)
        done = _load_done(step_dir, fingerprint, row)
        if done is not None:
            _say(verbose, f"step {row.step} ({row.model}) already done: reusing {step_dir}")
            results.append(done)
            continue
        _start_attempt(step_dir, fingerprint, row, verbose)
        _say(
            verbose,
            f"step {row.step}: {row.title} ({row.model}, {row.image_size}px, {row.epochs} "
            f"epochs, augmentation "
            f"{'from the search' if row.step == 4 else row.augmentation or 'none'})",
        )
        model, history, extra, outputs = _run_step(
            row, step_data, config, seed, step_dir, epoch_verbosity
        )
        report = evaluate(
            model,
            step_data.test,
            step_data.class_names,
            history=history,
            files=step_data.files.get("test") or None,
            title=f"Step {row.step}: {row.title}",
            outputs=outputs,
        )
        report_dir = step_dir / "report"
        report.save(report_dir)
        correct = report.probabilities.argmax(axis=1) == report.labels
        epochs_run = len(history.get("loss", []))
        trained = step_data.num_images("train") * extra.pop("epochs_this_run")
        seconds = extra["train_seconds"]
        summary = {
            "step": row.step,
            "name": row.name,
            "model": model.name if row.step == 4 else row.model,
            "test_accuracy": float(correct.mean()),
            "test_loss": float(report.metrics.loss),
            "epochs_run": epochs_run,
            "test_accuracy_ci95": list(
                bootstrap_accuracy_ci(correct, resamples=config.bootstrap_resamples, seed=seed)
            ),
            "train_seconds": seconds,
            "train_images_per_second": trained / seconds if seconds > 0 else None,
            "report_dir": os.path.relpath(report_dir, out),
            "title": row.title,
            "image_size": row.image_size,
            "augmentation": row.augmentation,
            **extra,
        }
        result = StepResult(row, summary, correct, report.labels, history)
        _save_done(step_dir, fingerprint, result)
        results.append(result)
        _say(
            verbose,
            f"step {row.step}: test accuracy {summary['test_accuracy']:.3f} "
            f"(95% CI {summary['test_accuracy_ci95'][0]:.3f}-"
            f"{summary['test_accuracy_ci95'][1]:.3f}), {seconds:.0f}s",
        )
    summary = {
        "dataset": first.source,
        "class_names": list(first.class_names),
        "test_images": first.num_images("test"),
        "backend": backend,
        "profile": config.name,
        "seed": seed,
        "steps": [r.summary for r in results],
        "comparisons": _comparisons(results),
        "plan": [dataclasses.asdict(r) for r in plan],
        "total_seconds": time.perf_counter() - started,
    }
    from foodvision.training.files import write_text_atomic

    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    page = write_study_page(out, summary, {r.row.step: r.history for r in results})
    _say(verbose, f"done in {summary['total_seconds']:.0f}s: {page}")
    return StudyResult(summary, results, out, page)


def _comparisons(results: list[StepResult]) -> list[dict[str, Any]]:
    """McNemar's test between consecutive steps (in the order they ran)."""
    from foodvision.evaluation import mcnemar_test

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
