"""Fixtures for the model tests: registered models built once per session, tiny inputs."""

from __future__ import annotations

import pytest
from harness import NUM_CLASSES, tiny_overrides, tiny_shape


@pytest.fixture(scope="session")
def built_model():
    """Factory ``built_model(name)``: the registered model, built once per session with
    ``num_classes=7`` at its smallest input shape, random weights (seeded)."""
    import keras

    import foodvision as fv

    cache = {}

    def get(name: str):
        if name not in cache:
            keras.utils.set_random_seed(0)
            cache[name] = fv.build_model(
                name, num_classes=NUM_CLASSES, input_shape=tiny_shape(name), **tiny_overrides(name)
            )
        return cache[name]

    return get
