import json

import pytest

import foodvision as fv

SPACE = {"depth": (2, 3), "filters": (8, 16), "learning_rate": (1e-3,), "augmentation": ("light",)}


@pytest.fixture(scope="module")
def data():
    return fv.load_synthetic(
        image_size=(32, 32), train_per_class=10, val_per_class=4, test_per_class=0
    )


@pytest.mark.parametrize("tuner", ["bayesian", "hyperband"])
def test_search_finds_hyperparameters_that_build_a_model(data, tmp_path, tuner):
    result = fv.tune_cnn(
        data,
        tuner=tuner,
        max_trials=2,
        epochs=2,
        search_space=SPACE,
        directory=tmp_path / "tuner",
        seed=0,
    )
    assert result.trials and result.tuner == tuner
    scores = [t["score"] for t in result.trials if t["score"] is not None]
    assert result.best_score == max(scores)
    for key, value in result.best_hyperparameters.items():
        assert value in SPACE[key]
    if tuner == "bayesian":  # the first trial measures the model being improved
        assert result.trials[0]["hyperparameters"] == {k: v[0] for k, v in SPACE.items()}
    for trial in result.trials:
        assert set(trial["hyperparameters"]) == set(SPACE)
        assert trial["seconds"] > 0
    model = fv.build_model(
        "tuned_cnn",
        num_classes=5,
        input_shape=(32, 32, 3),
        hyperparameters=result.best_hyperparameters,
    )
    depth = result.best_hyperparameters["depth"]
    assert sum(layer.name.endswith("_pool") for layer in model.layers) == depth
    saved = result.save(tmp_path / "out")
    assert json.loads((saved / "best_hyperparameters.json").read_text()) == (
        result.best_hyperparameters
    )
    assert (saved / "trials.png").stat().st_size > 1000


def test_bad_search_settings_are_refused(data, tmp_path):
    with pytest.raises(ValueError, match="unknown tuner"):
        fv.tune_cnn(data, tuner="grid", directory=tmp_path)
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        fv.tune_cnn(data, search_space={"depth": (2,), "colour": (1,)}, directory=tmp_path)
    with pytest.raises(ValueError, match="no depth"):
        fv.tune_cnn(data, search_space={"depth": (6, 7)}, directory=tmp_path)
