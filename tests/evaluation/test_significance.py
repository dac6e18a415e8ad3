import math

import numpy as np
import pytest

from foodvision.evaluation import bootstrap_accuracy_ci, holm, mcnemar_test, paired_difference


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


def _closed_testing_holm(p_values):
    """Holm by its definition: closed testing with Bonferroni tests of every subset."""
    from itertools import combinations

    m = len(p_values)
    adjusted = []
    for i in range(m):
        worst = 0.0
        for size in range(1, m + 1):
            for subset in combinations(range(m), size):
                if i in subset:
                    worst = max(worst, min(1.0, size * min(p_values[j] for j in subset)))
        adjusted.append(worst)
    return adjusted


@pytest.mark.parametrize(
    "p_values", [[0.01, 0.04, 0.03, 0.2], [0.001, 0.5, 0.02], [0.3], [0.04, 0.04, 0.04, 0.04]]
)
def test_holm_matches_closed_testing(p_values):
    assert holm(p_values) == pytest.approx(_closed_testing_holm(p_values))
    with pytest.raises(ValueError, match="p-values"):
        holm([0.1, 1.5])


def _simulated_methods(rng, seeds, images, gap, seed_sd):
    """Two methods on one test set: per-image difficulty shared, a random effect per seed."""
    difficulty = rng.normal(0, 1.2, images)
    shift_a = rng.normal(0, seed_sd, (seeds, 1))
    shift_b = rng.normal(0, seed_sd, (seeds, 1))
    a = rng.random((seeds, images)) < 1 / (1 + np.exp(-(difficulty + 1.0 + shift_a)))
    b = rng.random((seeds, images)) < 1 / (1 + np.exp(-(difficulty + 1.0 + gap + shift_b)))
    return a, b


def test_paired_difference_covers_the_true_difference():
    """Over fresh test sets and seeds, the 95 % interval holds the expected difference."""
    rng = np.random.default_rng(1)
    # the expected difference of the two simulated methods, by a large independent sample
    a, b = _simulated_methods(rng, 400, 4000, gap=0.25, seed_sd=0.3)
    truth = b.mean() - a.mean()
    covered = []
    for run in range(150):
        a, b = _simulated_methods(rng, 5, 300, gap=0.25, seed_sd=0.3)
        result = paired_difference(a, b, resamples=400, seed=run)
        covered.append(result.ci[0] <= truth <= result.ci[1])
        assert result.mean == pytest.approx(b.mean() - a.mean())
        assert result.seed_differences == pytest.approx(list(b.mean(1) - a.mean(1)))
    assert np.mean(covered) >= 0.88


def test_paired_difference_counts_the_seed_spread():
    """With large seed effects, the interval is wider than a bootstrap of images alone."""
    rng = np.random.default_rng(2)
    a, b = _simulated_methods(rng, 5, 400, gap=0.0, seed_sd=0.6)
    both = paired_difference(a, b, resamples=2000)
    per_image = (b.astype(float) - a).mean(axis=0)  # the seeds' mean difference per image
    draws = rng.integers(0, len(per_image), (2000, len(per_image)))
    low, high = np.quantile(per_image[draws].mean(axis=1), [0.025, 0.975])
    assert both.ci[1] - both.ci[0] > 1.2 * (high - low)


def test_paired_difference_verdicts_and_bad_input():
    same = np.tile(np.arange(600) % 3 == 0, (4, 1))
    result = paired_difference(same, same)
    assert result.mean == 0 and result.ci == (0.0, 0.0) and result.p_value == 1.0
    assert result.equivalent(0.01)
    rng = np.random.default_rng(3)
    a = rng.random((5, 625)) < 0.75
    b = a | (rng.random((5, 625)) < 0.2)  # B right wherever A is, and on more images
    better = paired_difference(a, b)
    assert better.ci[0] > 0 and better.p_value < 0.01 and not better.equivalent(0.02)
    low, high = better.equivalence_ci
    assert better.ci[0] <= low <= high <= better.ci[1]  # the 90 % interval is inside the 95 %
    with pytest.raises(ValueError, match="same seeds and test images"):
        paired_difference(a, b[:, :10])
    with pytest.raises(ValueError, match="resamples"):
        paired_difference(a, b, resamples=10)


def test_accuracy_interval_over_seeds():
    rng = np.random.default_rng(4)
    one = rng.random(625) < 0.8
    single = bootstrap_accuracy_ci(one, resamples=4000)
    as_grid = bootstrap_accuracy_ci(one[None, :], resamples=4000)
    assert as_grid == pytest.approx(single, abs=0.01)  # one seed: the images' bootstrap
    spread = np.stack([rng.random(625) < p for p in (0.7, 0.75, 0.8, 0.85, 0.9)])
    low, high = bootstrap_accuracy_ci(spread)
    assert low < spread.mean() < high
    assert high - low > single[1] - single[0]  # seeds that disagree widen it
