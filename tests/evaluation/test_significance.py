import math

import numpy as np
import pytest

from foodvision.evaluation import bootstrap_accuracy_ci, mcnemar_test


def test_bootstrap_interval_matches_the_normal_approximation():
    correct = np.array([1] * 320 + [0] * 80, bool)  # accuracy 0.8 on 400 images
    low, high = bootstrap_accuracy_ci(correct, resamples=4000, seed=1)
    half_width = 1.96 * math.sqrt(0.8 * 0.2 / 400)  # 0.0392
    assert low == pytest.approx(0.8 - half_width, abs=0.01)
    assert high == pytest.approx(0.8 + half_width, abs=0.01)


def test_bootstrap_is_seeded_and_narrows_with_more_images():
    small = np.tile([1, 1, 1, 0], 25)
    large = np.tile([1, 1, 1, 0], 400)
    assert bootstrap_accuracy_ci(small, seed=3) == bootstrap_accuracy_ci(small, seed=3)
    width = [np.subtract(*bootstrap_accuracy_ci(c, seed=0)[::-1]) for c in (small, large)]
    assert width[1] < width[0] / 3  # sqrt(16) = 4x narrower in theory


def test_mcnemar_exact_p_value_by_hand():
    # 8 images only A gets right, 2 only B, 10 both: p = 2 * P(X <= 2), X ~ Bin(10, 1/2)
    a = np.array([1] * 8 + [0] * 2 + [1] * 10, bool)
    b = np.array([0] * 8 + [1] * 2 + [1] * 10, bool)
    result = mcnemar_test(a, b)
    assert result.discordant == (8, 2)
    expected = 2 * sum(math.comb(10, k) for k in range(3)) / 2**10
    assert result.p_value == pytest.approx(expected)
    assert not result.significant()
    assert mcnemar_test(b, a).p_value == pytest.approx(expected)  # symmetric


def test_mcnemar_identical_models_and_clear_winner():
    same = np.array([1, 0, 1, 1], bool)
    assert mcnemar_test(same, same).p_value == 1.0
    winner = mcnemar_test(np.ones(40, bool), np.zeros(40, bool))
    assert winner.discordant == (40, 0) and winner.significant(0.001)


def test_mcnemar_needs_the_same_images():
    with pytest.raises(ValueError, match="same test images"):
        mcnemar_test([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="non-empty"):
        bootstrap_accuracy_ci([])
