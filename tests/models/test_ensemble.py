"""An ensemble model: the mean of its members' probabilities, saved and loaded whole."""

import numpy as np
import pytest
from harness import tiny_model, tiny_random_cnn

import foodvision as fv


def members(count=3, num_classes=4, size=16):
    return [tiny_random_cnn(num_classes=num_classes, size=size, seed=k) for k in range(count)]


def images(count=6, size=16):
    return np.random.default_rng(0).integers(0, 256, (count, size, size, 3)).astype("float32")


def test_the_output_is_the_mean_of_the_members_probabilities():
    models = members()
    x = images()
    expected = np.mean([model.predict(x, verbose=0) for model in models], axis=0)
    ensemble = fv.ensemble_models(models)
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in ensemble.layers if layer.name.startswith("member_")][:1] == [
        "member_0"
    ]
    # no member was copied: training a member changes the ensemble
    models[0].layers[-1].set_weights([w * 0 for w in models[0].layers[-1].get_weights()])
    assert not np.allclose(ensemble.predict(x, verbose=0), expected, atol=1e-4)


def test_it_saves_and_loads_with_the_members_facts(tmp_path):
    x = images()
    loaded = []
    for k, model in enumerate(members(2)):
        facts = fv.describe_model(model, ["a", "b", "c", "d"], resize="crop")
        loaded.append(fv.load_model(fv.save_model(model, tmp_path / f"m{k}.keras", facts)))
    ensemble = fv.ensemble_models(loaded)
    path = fv.save_model(ensemble, tmp_path / "ensemble.keras")
    again = fv.load_model(path)
    np.testing.assert_allclose(
        again.predict(x, verbose=0), ensemble.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )
    facts = fv.model_facts(again)
    assert facts.class_names == ("a", "b", "c", "d") and facts.resize == "crop"
    assert facts.training["ensemble_of"] == 2 and facts.metrics == {}


def test_members_that_differ_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at least two models"):
        fv.ensemble_models(members(1))
    with pytest.raises(ValueError, match="number of classes"):
        fv.ensemble_models([tiny_model(num_classes=3, size=16), tiny_model(num_classes=4, size=16)])
    with pytest.raises(ValueError, match="input shape"):
        fv.ensemble_models([tiny_model(size=16), tiny_model(size=8)])
    a, b = members(2)
    fv.save_model(a, tmp_path / "a.keras", fv.describe_model(a, ["w", "x", "y", "z"]))
    fv.save_model(b, tmp_path / "b.keras", fv.describe_model(b, ["w", "x", "y", "q"]))
    with pytest.raises(ValueError, match="class names"):
        fv.ensemble_models([a, b])
    with pytest.raises(ValueError, match="some members carry facts"):
        fv.ensemble_models([a, tiny_random_cnn(size=16)])
