import numpy as np
import pytest

from foodvision.data.splits import stratified_split


def test_stratified_fractions_per_class():
    labels = [0] * 375 + [1] * 375 + [2] * 100
    val, train = stratified_split(labels, [0.2], seed=0)
    labels = np.asarray(labels)
    assert np.bincount(labels[val]).tolist() == [75, 75, 20]
    assert len(set(val) | set(train)) == len(labels) and not set(val) & set(train)


def test_seeded_and_seed_sensitive():
    labels = [0, 1] * 50
    a = stratified_split(labels, [0.2, 0.2], seed=3)
    b = stratified_split(labels, [0.2, 0.2], seed=3)
    c = stratified_split(labels, [0.2, 0.2], seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("fractions", [[-0.1], [0.6, 0.4], [1.0]])
def test_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        stratified_split([0, 1], fractions, seed=0)
