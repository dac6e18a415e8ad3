"""Determinism: the same seed on the same backend gives the same history and weights.

(That the ``best.keras`` written by ``fv.train`` reloads on tensorflow and torch with the
same predictions is tested with every registered model in
``tests/models/test_serialization_backends.py``.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from harness import tiny_image_data, tiny_model

import foodvision as fv


def seeded_run(seed: int, directory: Path) -> tuple[dict, list[np.ndarray]]:
    """Train the tiny model (dropout, light augmentation) for 2 epochs; history and weights."""
    model = tiny_model(dropout=0.3, seed=seed)
    history = fv.train(
        model,
        tiny_image_data(seed=0),
        epochs=2,
        augmentation="light",
        seed=seed,
        checkpoint_dir=directory,
        verbose=0,
    )
    return history.history, model.get_weights()


def test_the_same_seed_gives_the_same_history(tmp_path):
    first, first_weights = seeded_run(0, tmp_path / "first")
    second, second_weights = seeded_run(0, tmp_path / "second")
    assert len(first["loss"]) == 2
    assert first == second
    for a, b in zip(first_weights, second_weights):
        np.testing.assert_array_equal(a, b)
    other, _ = seeded_run(1, tmp_path / "other")
    assert other["loss"] != first["loss"], "the seed has no effect: the test would prove nothing"
