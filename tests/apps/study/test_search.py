import json

import pytest

import foodvision as fv
from foodvision.apps.study.search import (
    TRAINING_HYPERPARAMETERS,
    SearchRange,
    TuningResult,
    search_space_from,
    split_hyperparameters,
)

SPACE = {
    "depth": (2, 3),
    "filters": (8, 16),
    "batch_norm": (False, True),
    "learning_rate": SearchRange(1e-3, 5e-4, 2e-3, log=True),
    "augmentation": ("light",),
}
DEFAULTS = {
    "depth": 2,
    "filters": 8,
    "batch_norm": False,
    "learning_rate": 1e-3,
    "augmentation": "light",
}


def _allowed(key, value):
    choices = SPACE[key]
    return choices.contains(value) if isinstance(choices, SearchRange) else value in choices


@pytest.fixture(scope="module")
def data():
    return fv.load_synthetic(
        image_size=(32, 32), train_per_class=10, val_per_class=4, test_per_class=0
    )


@pytest.mark.parametrize("tuner", ["bayesian", "hyperband"])
def test_search_finds_hyperparameters_that_build_a_model(data, tmp_path, tuner, capsys):
    result = fv.tune_cnn(
        data,
        tuner=tuner,
        max_trials=2,
        epochs=2,
        search_space=SPACE,
        confirm_top=1,
        directory=tmp_path / "tuner",
        seed=0,
    )
    assert result.trials and result.tuner == tuner
    logged = capsys.readouterr().err
    assert "[search] trial 1: depth=2, filters=8, batch_norm=False" in logged or (
        tuner == "hyperband"
    )
    assert logged.count("[search] trial") >= 2 * len(result.trials)
    assert "score 0." in logged and "confirming trial" in logged
    # the best full-length trial trained again on one more seed; the mean decides
    full = [t for t in result.trials if t["score"] is not None and t["budget"] == 2]
    best_single = max(full, key=lambda t: t["score"])
    (confirmed,) = result.confirmations
    assert confirmed["trial"] == best_single["trial"] and len(confirmed["scores"]) == 2
    assert confirmed["scores"][0] == best_single["score"]
    assert result.best_score == pytest.approx(sum(confirmed["scores"]) / 2)
    assert result.best_hyperparameters == best_single["hyperparameters"]
    assert result.epochs_trained == sum(t["epochs"] for t in result.trials) + 2
    for key, value in result.best_hyperparameters.items():
        assert _allowed(key, value)
    if tuner == "bayesian":  # the first trial measures the model being improved
        assert result.trials[0]["hyperparameters"] == DEFAULTS
    for trial in result.trials:
        assert set(trial["hyperparameters"]) == set(SPACE)
        assert all(_allowed(k, v) for k, v in trial["hyperparameters"].items())
        assert isinstance(trial["hyperparameters"]["batch_norm"], bool)
        assert trial["seconds"] > 0
    assert result.architecture == {
        k: v
        for k, v in result.best_hyperparameters.items()
        if k in ("depth", "filters", "batch_norm")
    }
    assert set(result.training) == {"learning_rate", "augmentation"}
    model = fv.build_model(
        "tuned_cnn", num_classes=5, input_shape=(32, 32, 3), **result.architecture
    )
    depth = result.best_hyperparameters["depth"]
    assert sum(layer.name.endswith("_pool") for layer in model.layers) == depth
    saved = result.save(tmp_path / "out")
    assert json.loads((saved / "best_hyperparameters.json").read_text()) == (
        result.best_hyperparameters
    )
    assert (saved / "trials.png").stat().st_size > 1000
    assert TuningResult.load(saved) == result


def test_bad_search_settings_are_refused(data, tmp_path):
    with pytest.raises(ValueError, match="unknown tuner"):
        fv.tune_cnn(data, tuner="grid", directory=tmp_path)
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        fv.tune_cnn(data, search_space={"depth": (2,), "colour": (1,)}, directory=tmp_path)
    with pytest.raises(ValueError, match="no depth"):
        fv.tune_cnn(data, search_space={"depth": (6, 7)}, directory=tmp_path)


def test_a_bayesian_search_tries_its_start_points_right_after_the_defaults(data, tmp_path):
    start = {"filters": 16, "batch_norm": True}
    kwargs = dict(max_trials=3, epochs=1, search_space=SPACE, start_points=[start], seed=0)
    result = fv.tune_cnn(data, confirm_top=0, directory=tmp_path / "a", **kwargs)
    tried = [trial["hyperparameters"] for trial in result.trials]
    assert tried[:2] == [DEFAULTS, {**DEFAULTS, **start}] and len(tried) == 3
    # resumed after its first trial, the search still goes on with the start point
    partial = fv.tune_cnn(
        data, confirm_top=0, directory=tmp_path / "b", **{**kwargs, "max_trials": 1}
    )
    assert [t["hyperparameters"] for t in partial.trials] == [DEFAULTS]
    resumed = fv.tune_cnn(data, confirm_top=0, directory=tmp_path / "b", **kwargs)
    assert [t["hyperparameters"] for t in resumed.trials][:2] == tried[:2]


@pytest.mark.parametrize(
    ("points", "tuner", "message"),
    [
        ([{"colour": 1}], "bayesian", "colour=1 is not in the search space"),
        ([{"filters": 12}], "bayesian", "filters=12 is not in the search space"),
        ([{"learning_rate": 0.1}], "bayesian", "learning_rate=0.1 is not in"),
        ({"filters": 16}, "bayesian", "must be a list of mappings"),
        ([{"filters": 16}], "hyperband", "need tuner='bayesian'"),
    ],
)
def test_start_points_outside_the_search_space_are_refused(data, tmp_path, points, tuner, message):
    with pytest.raises(ValueError, match=message):
        fv.tune_cnn(data, tuner=tuner, search_space=SPACE, start_points=points, directory=tmp_path)


def test_a_search_space_started_from_step_3s_options_tries_them_first():
    space = search_space_from(
        {"batch_norm": True, "dropout": 0.2, "learning_rate": 3e-3, "kernel_size": 5}, SPACE
    )
    assert space["batch_norm"] == (True, False)  # the chosen value leads, none is lost
    assert space["learning_rate"] == SearchRange(3e-3, 5e-4, 3e-3, log=True)  # widened
    assert space["dropout"] == (0.2,) and space["kernel_size"] == (5,)  # not searched: fixed
    assert {k: space[k] for k in ("depth", "filters", "augmentation")} == {
        k: SPACE[k] for k in ("depth", "filters", "augmentation")
    }
    assert search_space_from({}, SPACE) == SPACE


def test_every_choice_of_the_default_search_space_builds_the_model_it_names():
    last = {
        key: choices.high if isinstance(choices, SearchRange) else choices[-1]
        for key, choices in fv.DEFAULT_SEARCH_SPACE.items()
    }
    options, training = split_hyperparameters(last)
    assert set(training) == {"learning_rate", "weight_decay", "label_smoothing", "augmentation"}
    assert fv.DEFAULT_SEARCH_SPACE["convs_per_block"] == (1, 2)  # capacity is searched
    counts = []
    for convs in (1, 2):
        model = fv.build_model(
            "tuned_cnn",
            num_classes=3,
            input_shape=(32, 32, 3),
            **{**options, "convs_per_block": convs},
        )
        counts.append(sum("conv" in type(layer).__name__.lower() for layer in model.layers))
    assert counts[0] >= 2 and counts[1] == 2 * counts[0]


def test_split_hyperparameters_separates_training_options():
    model, training = split_hyperparameters({"depth": 2, "learning_rate": 0.01, "batch_size": 8})
    assert model == {"depth": 2} and training == {"learning_rate": 0.01, "batch_size": 8}
    assert {"learning_rate", "optimizer"} <= TRAINING_HYPERPARAMETERS
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['n_layers'\].*depth"):
        split_hyperparameters({"n_layers": 3})
    with pytest.raises(ValueError, match="hyperparameters must be a dict"):
        split_hyperparameters([("depth", 3)])


def test_keras_tuners_distributed_search_runs_a_chief_and_workers_on_localhost(tmp_path):
    """KerasTuner's chief serves the oracle over gRPC; two workers run the trials."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = Path(__file__).parent / "distributed_search_script.py"
    runs = []
    for role in ("chief", "tuner0", "tuner1"):
        env = {
            **os.environ,
            "KERASTUNER_TUNER_ID": role,
            "KERASTUNER_ORACLE_IP": "127.0.0.1",
            "KERASTUNER_ORACLE_PORT": str(port),
        }
        runs.append(
            subprocess.Popen(
                [sys.executable, str(script), str(tmp_path / "tuner")],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = {}
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        outputs[result["role"]] = result
    assert outputs["chief"]["trials"] == 3  # the chief's oracle holds every trial
    assert outputs["chief"]["confirmed"] == 1  # and trains the best again itself
    assert set(outputs["chief"]["best"]) == {"depth", "filters"}
    assert outputs["tuner0"]["trials"] is None and outputs["tuner1"]["trials"] is None
    trial_files = list((tmp_path / "tuner").rglob("trial.json"))
    assert len(trial_files) >= 3
