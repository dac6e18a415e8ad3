"""A study over several seeds: each step's spread, and paired comparisons of the steps.

Seed ``k`` of every step shares its data split and training seed, so two steps are
compared by their paired differences, seed by seed, on the same test images. The
interval of a difference counts both the seed-to-seed spread and the sampling of the
test images (a two-way bootstrap, see :func:`foodvision.paired_difference`); the
p-values of the comparisons are Holm-corrected together; and "no difference" is only
claimed when an equivalence test (two one-sided tests within a stated margin) says so.

Example:
    >>> seed_list(0, 3), seed_list(7, [1, 2])
    ([0, 1, 2], [1, 2])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.apps.study.records import StepResult
from foodvision.evaluation import bootstrap_accuracy_ci, holm, paired_difference

ALPHA = 0.05
"""Level of every test of the study (after Holm's correction)."""


def seed_list(seed: int, seeds: int | Sequence[int]) -> list[int]:
    """The study's seeds: ``seeds`` of them from ``seed`` on, or the list given.

    Raises:
        ValueError: No seed, a repeated or negative seed, or a count below 1.
    """
    if isinstance(seeds, bool):
        raise ValueError(f"seeds must be a count or a list of seeds, got {seeds!r}")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        chosen = [seed + k for k in range(seeds)]
    else:
        chosen = list(seeds)
    bad = [s for s in chosen if isinstance(s, bool) or not isinstance(s, int) or s < 0]
    if not chosen or bad or len(set(chosen)) != len(chosen):
        raise ValueError(f"seeds must be distinct integers >= 0, got {list(chosen)}")
    return chosen


def _grid(runs: Sequence[Sequence[StepResult]], index: int) -> np.ndarray:
    """Per-image correctness of step ``index``: one row per seed."""
    rows = [results[index].correct for results in runs]
    if len({len(r) for r in rows}) != 1:
        raise ValueError("the seeds evaluated a step on different numbers of test images")
    return np.stack(rows)


def seed_ensemble(runs: Sequence[Sequence[StepResult]], index: int) -> np.ndarray | None:
    """Per-image correctness of step ``index``'s seed models as one ensemble.

    The ensemble predicts the class of highest mean probability over the seeds' models
    (each scored as its step was: over the test-time views when it has them). It costs
    no training: the seeds' models exist already.

    Returns:
        ``(images,)`` booleans, or ``None`` when a seed kept no probabilities (a step
        with test-time views finished by an older version).

    Example:
        >>> from foodvision.apps.study.plan import study_plan
        >>> row = study_plan("quick", steps=[5])[0]
        >>> def seed(p):  # one step, two test images of classes 0 and 1
        ...     return [StepResult(row, {}, np.array([]), np.array([0, 1]), {}, np.array(p))]
        >>> seed_ensemble([seed([[0.9, 0.1], [0.6, 0.4]]), seed([[0.4, 0.6], [0.1, 0.9]])], 0)
        array([ True,  True])
    """
    steps = [results[index] for results in runs]
    if any(step.probabilities is None for step in steps):
        return None
    labels = steps[0].labels
    if any(not np.array_equal(step.labels, labels) for step in steps):
        raise ValueError("the seeds evaluated a step on different test images")
    mean = np.mean([step.probabilities for step in steps], axis=0)
    return mean.argmax(axis=1) == labels


def summarise_over_seeds(
    runs: Sequence[Sequence[StepResult]],
    seeds: Sequence[int],
    resamples: int = 2000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One ``summary.json`` entry per step: the mean over seeds, its spread and interval.

    ``test_accuracy`` is the mean over seeds, ``test_accuracy_sd`` the standard
    deviation between seeds, ``test_accuracy_ci95`` the two-way bootstrap interval of the
    mean (``test_loss`` and, with test-time augmentation, ``test_accuracy_single_view``
    are means too; ``train_seconds`` and ``feature_seconds`` are sums over seeds); the
    first seed's report and model are linked. ``seed_ensemble_accuracy`` and
    ``seed_ensemble_ci95`` (bootstrap over the test images) score the seeds' models as
    one ensemble (see :func:`seed_ensemble`), where every seed kept its probabilities.

    Args:
        runs: Per seed, its steps' results (every seed ran the same steps).
        seeds: The seed of each run (its folder is ``seed<k>/``).
        resamples: Bootstrap resamples.
        seed: Seed of the resampling.
    """
    entries = []
    for index, first in enumerate(runs[0]):
        per_seed = [results[index].summary for results in runs]
        accuracies = [s["test_accuracy"] for s in per_seed]
        grid = _grid(runs, index)
        seconds = [s["train_seconds"] for s in per_seed]
        speeds = [s["train_images_per_second"] for s in per_seed if s["train_images_per_second"]]
        entries.append(
            {
                **first.summary,
                "test_accuracy": float(np.mean(accuracies)),
                "test_accuracy_sd": float(np.std(accuracies, ddof=1)),
                "test_accuracy_per_seed": accuracies,
                "test_accuracy_ci95": list(
                    bootstrap_accuracy_ci(grid, resamples=resamples, seed=seed)
                ),
                "test_loss": float(np.mean([s["test_loss"] for s in per_seed])),
                "epochs_run": float(np.mean([s["epochs_run"] for s in per_seed])),
                "train_seconds": float(np.sum(seconds)),
                "train_images_per_second": float(np.mean(speeds)) if speeds else None,
                "report_dir": f"seed{seeds[0]}/{first.summary['report_dir']}",
                "model_file": f"seed{seeds[0]}/{first.summary['model_file']}",
                "seeds": len(runs),
            }
        )
        ensemble = seed_ensemble(runs, index)
        if ensemble is not None:
            entries[-1]["seed_ensemble_accuracy"] = float(ensemble.mean())
            entries[-1]["seed_ensemble_ci95"] = list(
                bootstrap_accuracy_ci(ensemble, resamples=resamples, seed=seed)
            )
        if "feature_seconds" in first.summary:
            entries[-1]["feature_seconds"] = float(
                np.sum([s.get("feature_seconds", 0.0) for s in per_seed])
            )
        if "test_accuracy_single_view" in first.summary:
            entries[-1]["test_accuracy_single_view"] = float(
                np.mean([s["test_accuracy_single_view"] for s in per_seed])
            )
        if "search_results" in first.summary:
            shared = os.path.normpath(f"seed{seeds[0]}/{first.summary['search_results']}")
            entries[-1]["search_results"] = Path(shared).as_posix()
    return entries


def verdict_over_seeds(comparison: dict[str, Any]) -> str:
    """``"improvement"``, ``"drop"``, ``"equivalent"`` or ``"inconclusive"``.

    Example:
        >>> verdict_over_seeds({"significant": False, "equivalent": True,
        ...                     "accuracy_change": 0.004})
        'equivalent'
    """
    if comparison["significant"]:
        return "improvement" if comparison["accuracy_change"] > 0 else "drop"
    return "equivalent" if comparison["equivalent"] else "inconclusive"


def compare_over_seeds(
    runs: Sequence[Sequence[StepResult]],
    *,
    margin: float = 0.02,
    resamples: int = 2000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Each step against the step before (in the order they ran), paired by seed.

    Every comparison has the mean paired difference (``accuracy_change``), its 95 %
    two-way bootstrap interval (``change_ci95``), the bootstrap p-value and the
    Holm-corrected one over all comparisons (``p_holm``, which decides
    ``significant``), the TOST equivalence result within ``margin`` (``equivalent``,
    with the 90 % interval it used) and the ``verdict``.

    Args:
        runs: Per seed, its steps' results.
        margin: Equivalence margin, a fraction of accuracy (0.02: 2 points).
        resamples: Bootstrap resamples.
        seed: Seed of the resampling.
    """
    rows: list[dict[str, Any]] = []
    for index in range(1, len(runs[0])):
        before, after = runs[0][index - 1], runs[0][index]
        difference = paired_difference(
            _grid(runs, index - 1), _grid(runs, index), resamples=resamples, seed=seed
        )
        rows.append(
            {
                "from_step": before.row.step,
                "to_step": after.row.step,
                "accuracy_change": difference.mean,
                "change_ci95": list(difference.ci),
                "change_per_seed": difference.seed_differences,
                "p_value": difference.p_value,
                "equivalence_margin": margin,
                "equivalence_ci90": list(difference.equivalence_ci),
                "equivalent": difference.equivalent(margin),
            }
        )
    for row, adjusted in zip(rows, holm([r["p_value"] for r in rows])):
        row["p_holm"] = adjusted
        row["significant"] = adjusted < ALPHA
        row["verdict"] = verdict_over_seeds(row)
    return rows
