"""What a study folder remembers of its steps, so a repeated command reuses or resumes them.

Each step folder holds ``attempt.json`` (the settings of the run that is training there)
and, once the step has finished, ``step.json`` (those settings with the step's results)
and ``probabilities.npz`` (the test probabilities it was scored on).
A step whose ``step.json`` has the current settings is not run again; an interrupted
step resumes from its checkpoints when ``attempt.json`` has the current settings, and
starts over when they changed.

The settings of a step (its *fingerprint*) are the profile fields that can change its
result (for step 4 also the space it searches), the seed, the dataset, its classes and
test-set size, and the backend: editing, say, the fine-tuning epochs does not throw away
finished CNN steps.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.apps.study.plan import SEARCH_STARTS_FROM, PlannedStep, StudyProfile
from foodvision.apps.study.search import DEFAULT_SEARCH_SPACE, SearchRange
from foodvision.base.files import write_npz_atomic, write_text_atomic
from foodvision.base.jsonable import json_safe
from foodvision.base.log import FoodvisionWarning

STEP_FILE = "step.json"
PROBABILITIES_FILE = "probabilities.npz"
ATTEMPT_FILE = "attempt.json"
ATTEMPT_STATE = ("checkpoint", "tuner", "tuning")
"""Folders of a step that an interrupted attempt leaves to resume from."""

_TRANSFER_SETTINGS = frozenset(
    {
        "transfer_image_size",
        "transfer_early_stopping",
        "head_epochs",
        "finetune_epochs",
        "trainable_blocks",
        "finetune_learning_rate",
        "finetune_schedule",
        "finetune_warmup_epochs",
        "finetune_average_epochs",
        "finetune_rate_decay",
        "transfer_augmentation",
        "transfer_label_smoothing",
        "transfer_weight_decay",
        "transfer_refit",
        "transfer_members",
        "transfer_tta",
    }
)
_SCRATCH_SETTINGS = frozenset(
    {"scratch_image_size", "epochs", "schedule", "warmup_epochs", "early_stopping"}
)
_SEARCH_SETTINGS = frozenset(
    {
        "tuner",
        "tuning_trials",
        "tuning_epochs",
        "tuning_start_points",
        "confirm_top",
        "confirm_seeds",
    }
)
_STUDY_SETTINGS = frozenset({"equivalence_margin", "reference_model"})
"""Profile fields of the study as a whole, not of any step's result (the reference row's
model is in its plan)."""

_UNCOMPARED_PLAN_FIELDS = ("title", "change", "kind")
"""Plan fields that do not change a step's result: ``title`` and ``change`` only describe
it (rewording them does not make it run again) and ``kind`` follows from the step."""


@dataclasses.dataclass
class StepResult:
    """A finished step as ``step.json`` keeps it.

    Attributes:
        row: The step's plan.
        summary: Its ``summary.json`` entry.
        correct: Per-test-image correctness, in test-set order.
        labels: Test labels, in test-set order (to check that steps share the test set).
        history: Training history (``{"val_accuracy": [...], ...}``).
        probabilities: The class probabilities the step was scored on (over the
            test-time views when it has them), ``(images, classes)`` ``float32``, kept
            in ``probabilities.npz``; ``None`` in a step finished by a version that did
            not keep them.
    """

    row: PlannedStep
    summary: dict[str, Any]
    correct: np.ndarray
    labels: np.ndarray
    history: dict[str, list[float]]
    probabilities: np.ndarray | None = None


def step_settings(profile: StudyProfile, row: PlannedStep) -> dict[str, Any]:
    """The profile fields that can change the result of the step ``row``."""
    settings = json_safe(dataclasses.asdict(profile))
    settings.pop("name")
    unused = _STUDY_SETTINGS | (_SCRATCH_SETTINGS if row.kind == "transfer" else _TRANSFER_SETTINGS)
    if row.kind != "search":
        unused |= _SEARCH_SETTINGS
        if not row.augmentation:
            unused |= {"augment_on"}  # nothing to place
    settings = {k: v for k, v in settings.items() if k not in unused}
    options = settings.pop("scratch_model_options")
    views = settings.pop("scratch_tta")
    if row.kind == "transfer":  # unset: the settings of runs from before these fields
        if settings.pop("transfer_refit"):
            settings["transfer_refit"] = True
        if settings.pop("transfer_members") > 1:
            settings["transfer_members"] = profile.transfer_members
        if settings.pop("finetune_rate_decay") != 1:
            settings["finetune_rate_decay"] = profile.finetune_rate_decay
    if row.kind != "transfer":
        settings["epochs"] = settings["epochs"][str(row.step)]
        # unset: the same settings as before these fields existed
        own = options.get(str(SEARCH_STARTS_FROM if row.kind == "search" else row.step))
        if own:
            settings["model_options"] = own
        if views is not None:
            settings["scratch_tta"] = views
    if row.kind == "search":
        settings["search_space"] = _described(DEFAULT_SEARCH_SPACE)
    return settings


def _described(space: Mapping[str, Any]) -> dict[str, Any]:
    """A search space as JSON: a range as its fields, choices as a list."""
    return json_safe(
        {k: dataclasses.asdict(v) if isinstance(v, SearchRange) else v for k, v in space.items()}
    )


def fingerprint(
    profile: StudyProfile, row: PlannedStep, seed: int, data: Any, backend: str
) -> dict[str, Any]:
    """Everything that can change the result of step ``row`` (see the module docstring).

    Example:
        >>> fingerprint(PROFILES["quick"], plan[0], 0, data, "jax")["seed"]  # doctest: +SKIP
        0
    """
    return {
        "settings": step_settings(profile, row),
        "seed": seed,
        "dataset": data.source,
        "class_names": list(data.class_names),
        "test_images": data.num_images("test"),
        "global_batch_size": data.batch_size,
        "backend": backend,
    }


def same_run(saved: Any, fingerprint: dict[str, Any], plan: dict[str, Any]) -> bool:
    """Whether a saved record (``step.json`` or ``attempt.json``) has these settings."""
    if not isinstance(saved, dict) or not isinstance(saved.get("plan"), dict):
        return False

    def settings(fields: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in fields.items() if k not in _UNCOMPARED_PLAN_FIELDS}

    return saved.get("fingerprint") == fingerprint and settings(saved["plan"]) == settings(plan)


def load_done(step_dir: Path, fingerprint: dict[str, Any], row: PlannedStep) -> StepResult | None:
    """A step finished by an earlier run with the same settings, or ``None``."""
    path = step_dir / STEP_FILE
    if not path.exists():
        return None
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        warnings.warn(
            f"{path} cannot be read ({err}); the step runs again",
            category=FoodvisionWarning,
            stacklevel=2,
        )
        return None
    if not same_run(saved, fingerprint, dataclasses.asdict(row)):
        return None
    model_file = saved["summary"].get("model_file")
    if not model_file or not (step_dir.parent / model_file).is_file():
        return None  # done by a version that did not save the model: run it again
    return StepResult(
        row,
        saved["summary"],
        np.array([c == "1" for c in saved["correct"]]),
        np.array(saved["labels"]),
        saved["history"],
        _saved_probabilities(step_dir, saved["summary"], len(saved["labels"])),
    )


def _saved_probabilities(step_dir: Path, summary: dict[str, Any], images: int) -> np.ndarray | None:
    """The probabilities the step was scored on, one row per test image, or ``None``.

    From ``probabilities.npz``; a step finished before it was kept, and scored without
    test-time views, has them in its report's ``predictions.csv`` (to 6 digits).
    """
    path = step_dir / PROBABILITIES_FILE
    try:
        if path.exists():
            with np.load(path, allow_pickle=False) as saved:
                kept = saved["probabilities"]
        elif not summary.get("test_time_views") and summary.get("report_dir"):
            from foodvision.evaluation import EvaluationReport

            kept = EvaluationReport.load(step_dir.parent / summary["report_dir"]).probabilities
        else:
            return None
    except (OSError, ValueError, KeyError):
        return None
    return kept if kept.ndim == 2 and len(kept) == images else None


def start_attempt(
    step_dir: Path,
    fingerprint: dict[str, Any],
    row: PlannedStep,
    say: Callable[[str], None] = lambda text: None,
) -> None:
    """Keep an interrupted attempt's checkpoints only if it had the same settings.

    A step that crashed resumes from its checkpoints; a step whose settings changed
    since (another profile, seed, dataset or backend) starts over instead of resuming
    a different run.
    """
    record = json_safe({"fingerprint": fingerprint, "plan": dataclasses.asdict(row)})
    path = step_dir / ATTEMPT_FILE
    try:
        previous = json.loads(path.read_text())
    except FileNotFoundError:
        previous = None
    except (OSError, ValueError):
        previous = {}  # unreadable: treat as different settings
    stale = [step_dir / name for name in ATTEMPT_STATE if (step_dir / name).exists()]
    if stale and not same_run(previous, record["fingerprint"], record["plan"]):
        say(f"step {row.step}: settings changed since the last attempt; starting over")
        for folder in stale:
            shutil.rmtree(folder)
    step_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(record, indent=2) + "\n")


def save_done(step_dir: Path, fingerprint: dict[str, Any], result: StepResult) -> None:
    """Write ``step.json``: the step's settings and results."""
    record = {
        "fingerprint": fingerprint,
        "plan": dataclasses.asdict(result.row),
        "summary": result.summary,
        "correct": "".join("1" if c else "0" for c in result.correct),
        "labels": [int(v) for v in result.labels],
        "history": result.history,
    }
    if result.probabilities is not None:  # before step.json, which says the step is done
        write_npz_atomic(step_dir / PROBABILITIES_FILE, {"probabilities": result.probabilities})
    write_text_atomic(step_dir / STEP_FILE, json.dumps(record) + "\n")
