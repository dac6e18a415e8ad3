"""The five-step food study: plan (steps and profiles), runner and comparison page.

Example:
    >>> import foodvision as fv
    >>> result = fv.run_study("synthetic", steps=[1, 3, 5], out_dir="runs/study")  # doctest: +SKIP
    >>> [s["test_accuracy"] for s in result.summary["steps"]]  # doctest: +SKIP

"""

from foodvision.study.plan import (
    PROFILES,
    STEP_NUMBERS,
    STEPS,
    PlannedStep,
    StudyProfile,
    StudyStep,
    resolve_profile,
    resolve_steps,
    study_plan,
)
from foodvision.study.runner import SUMMARY_KEYS, StepResult, StudyResult, run_study

__all__ = [
    "PROFILES",
    "STEPS",
    "STEP_NUMBERS",
    "SUMMARY_KEYS",
    "PlannedStep",
    "StepResult",
    "StudyProfile",
    "StudyResult",
    "StudyStep",
    "resolve_profile",
    "resolve_steps",
    "run_study",
    "study_plan",
]
