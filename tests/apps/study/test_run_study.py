import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import foodvision as fv
from foodvision.apps.study.runner import SUMMARY_KEYS

TINY = fv.StudyProfile(
    "tiny",
    scratch_image_size=32,
    transfer_image_size=32,
    epochs={1: 2, 2: 1, 3: 1, 4: 1},
    tuning_trials=2,
    confirm_top=1,
    head_epochs=1,
    finetune_epochs=0,  # phase 2 in a study: test_without_tensorflow, data_parallel_script
    bootstrap_resamples=200,
    reference_model="vgg16_finetune",  # its weights are here: the reference row runs
    transfer_tta="flip",  # step 5 and the reference are scored on image + mirror image
    scratch_model_options={3: {"dropout": 0.3}},  # step 3 built with it
)


@pytest.fixture(scope="module")
def tiny_data():
    return fv.load_synthetic(
        image_size=(32, 32), train_per_class=12, val_per_class=4, test_per_class=6
    )


@pytest.fixture(scope="module")
def study(tiny_data, tmp_path_factory, weights_env):
    out = tmp_path_factory.mktemp("study")
    return fv.run_study(tiny_data, out_dir=out, profile=TINY, tensorboard=out / "logs", verbose=0)


def test_summary_schema_and_files(study, tiny_data):
    summary = json.loads((study.out_dir / "summary.json").read_text())
    assert summary["test_images"] == tiny_data.num_images("test") == 30  # 6 per class
    assert {"dataset", "class_names", "backend", "profile", "seed", "steps"} <= set(summary)
    assert summary["profile"] == "tiny" and summary["class_names"][0] == "pizza"
    assert [s["step"] for s in summary["steps"]] == [1, 2, 3, 4, 5]
    for step in summary["steps"]:
        assert set(SUMMARY_KEYS) <= set(step)
        low, high = step["test_accuracy_ci95"]
        assert 0 <= low <= step["test_accuracy"] <= high <= 1
        report = study.out_dir / step["report_dir"]
        assert (report / "report.html").exists() and (report / "metrics.json").exists()
        assert (report / "confusion_matrix.png").exists()
        metrics = json.loads((report / "metrics.json").read_text())
        if step["step"] == 5:  # scored with test-time augmentation, the image alone beside
            assert step["test_time_views"] == ["original", "flip"]
            assert metrics["tta"]["accuracy"] == pytest.approx(step["test_accuracy"])
            assert metrics["accuracy"] == pytest.approx(step["test_accuracy_single_view"])
        else:
            assert "test_time_views" not in step
            assert metrics["accuracy"] == pytest.approx(step["test_accuracy"])
        assert step["epochs_run"] == len(metrics["history"]["loss"])
        model = fv.load_model(study.out_dir / step["model_file"])
        facts = fv.model_facts(model)
        assert facts.class_names == tuple(summary["class_names"])
        assert facts.metrics["test_accuracy"] == pytest.approx(step["test_accuracy"])
        assert (study.out_dir / step["model_file"]).with_name("model_card.md").is_file()
    # step 5's file is the whole model it reports: photos in, its test accuracy out
    whole = fv.load_model(study.out_dir / summary["steps"][4]["model_file"])
    assert whole.input_shape == (None, 32, 32, 3)
    again = fv.evaluate(whole, tiny_data.test, tiny_data.class_names, interpret=False, tta=True)
    assert again.tta["accuracy"] == pytest.approx(summary["steps"][4]["test_accuracy"])
    assert again.accuracy == pytest.approx(summary["steps"][4]["test_accuracy_single_view"])
    step3 = fv.load_model(study.out_dir / summary["steps"][2]["model_file"])
    assert step3.get_layer("head_dropout").rate == 0.3  # step 3 was built with its option
    assert summary["steps"][2]["model_options"] == {"dropout": 0.3}
    card = (study.out_dir / summary["steps"][2]["model_file"]).with_name("model_card.md")
    assert "model options: {'dropout': 0.3}" in card.read_text()
    assert "model_options" not in summary["steps"][1]
    assert summary["steps"][4]["epochs_run"] == 1  # the head, on cached features
    assert summary["steps"][4]["cached_features"] is True
    tuning = study.out_dir / "step4_tuned" / "tuning"
    assert (tuning / "trials.png").exists()
    assert len(json.loads((tuning / "trials.json").read_text())["trials"]) == 2
    page = (study.out_dir / "study.html").read_text()
    assert "McNemar" in page and "step1_baseline/report/report.html" in page
    assert "its flip view (test-time augmentation); the image alone: " in page
    assert "The frozen base ran once over the images (" in page
    assert "Built with these options over augmented_cnn's defaults: dropout=0.3." in page
    # the reference row: trained as step 5 is, reported beside the steps, not compared
    reference = summary["reference"]
    assert reference["available"] and reference["model"] == "vgg16_finetune"
    assert reference["epochs_run"] == 1 and 0 <= reference["test_accuracy"] <= 1
    assert (study.out_dir / reference["report_dir"] / "report.html").is_file()
    assert reference["report_dir"] == "reference/report"
    assert all(c["to_step"] != 0 for c in summary["comparisons"])
    assert "<h2>Reference</h2>" in page and "reference/report/report.html" in page


def test_a_reference_without_local_weights_is_said_not_available(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from foodvision.apps.study import runner
    from foodvision.apps.study.page import render_study_page
    from foodvision.apps.study.plan import reference_row

    monkeypatch.setenv("FOODVISION_WEIGHTS_DIR", str(tmp_path))  # no weights file in it
    said = []
    row = reference_row(dataclasses.replace(TINY, reference_model="resnet50_finetune"))
    entry = runner._run_reference(SimpleNamespace(say=said.append), row, data=None)
    assert entry["available"] is False and entry["model"] == "resnet50_finetune"
    assert "resnet50_imagenet_notop.weights.h5" in entry["reason"] and said
    step = {
        "step": 5,
        "name": "vgg16",
        "model": "vgg16_finetune",
        "test_accuracy": 0.9,
        "test_accuracy_ci95": [0.85, 0.95],
        "epochs_run": 1,
        "train_seconds": 1.0,
        "report_dir": "step5_vgg16/report",
    }
    summary = {
        "dataset": "d",
        "class_names": ["a"],
        "backend": "jax",
        "profile": "tiny",
        "seed": 0,
        "steps": [step],
        "reference": entry,
    }
    page = render_study_page(summary, {}, [])
    assert "resnet50_finetune, a stronger ImageNet backbone" in page
    assert "not available here (no local ImageNet weights for resnet50" in page


def test_comparisons_are_mcnemar_on_the_saved_predictions(study):
    from foodvision.evaluation import mcnemar_test

    def correct(step):
        csv = study.out_dir / step["report_dir"] / "predictions.csv"
        rows = csv.read_text().splitlines()
        header = rows[0].split(",")
        # step 5 is scored with test-time augmentation: its mean output's prediction
        column = "tta_predicted_index" if "test_time_views" in step else "predicted_index"
        true, pred = header.index("true_index"), header.index(column)
        return np.array([r.split(",")[true] == r.split(",")[pred] for r in rows[1:]])

    steps = study.summary["steps"]
    for comparison in study.summary["comparisons"]:
        before = steps[comparison["from_step"] - 1]
        after = steps[comparison["to_step"] - 1]
        expected = mcnemar_test(correct(after), correct(before)).p_value
        assert comparison["p_value"] == pytest.approx(expected)
        assert comparison["accuracy_change"] == pytest.approx(
            after["test_accuracy"] - before["test_accuracy"]
        )


def test_tensorboard_logs_go_to_one_folder_per_step(study):
    logs = study.out_dir / "logs"
    events = {path.parent.relative_to(logs) for path in logs.rglob("events.out.tfevents.*")}
    for step in ("step1_baseline", "step2_deeper", "step3_augmented", "step4_tuned"):
        assert Path(step) / "train" in events and Path(step) / "validation" in events
    assert Path("step5_vgg16/head/train") in events


def test_a_second_run_reuses_finished_steps(study, tiny_data):
    again = fv.run_study(tiny_data, out_dir=study.out_dir, steps=[1, 3], profile=TINY, verbose=0)
    first = {s["step"]: s for s in study.summary["steps"]}
    for step in again.summary["steps"]:
        assert step == first[step["step"]]  # same numbers, nothing retrained
    assert again.summary["comparisons"][0]["from_step"] == 1


def step_fingerprint(profile, step, data, backend, seed=0):
    from foodvision.apps.study.plan import study_plan
    from foodvision.apps.study.records import fingerprint

    return fingerprint(profile, study_plan(profile, [step])[0], seed, data, backend)


def test_changed_settings_rerun_only_the_steps_they_touch(study, tiny_data):
    longer_head = dataclasses.replace(TINY, head_epochs=2)
    longer_step3 = dataclasses.replace(TINY, epochs={**TINY.epochs, 3: 2})
    backend = study.summary["backend"]
    for step in (1, 2, 3, 4):
        assert step_fingerprint(longer_head, step, tiny_data, backend) == step_fingerprint(
            TINY, step, tiny_data, backend
        )
    assert step_fingerprint(longer_head, 5, tiny_data, backend) != step_fingerprint(
        TINY, 5, tiny_data, backend
    )

    def changed(profile):
        return [
            step
            for step in (1, 2, 3, 4, 5)
            if step_fingerprint(profile, step, tiny_data, backend)
            != step_fingerprint(TINY, step, tiny_data, backend)
        ]

    assert changed(longer_step3) == [3]
    lighter_step3 = dataclasses.replace(TINY, scratch_model_options={3: {"dropout": 0.2}})
    assert changed(lighter_step3) == [3, 4]  # step 4's search starts from step 3's model
    assert changed(dataclasses.replace(TINY, scratch_tta="flip")) == [1, 2, 3, 4]
    assert changed(dataclasses.replace(TINY, tuning_start_points=({"dropout": 0.2},))) == [4]
    assert changed(dataclasses.replace(TINY, transfer_refit=True)) == [5]
    assert changed(dataclasses.replace(TINY, transfer_members=2)) == [5]
    assert changed(dataclasses.replace(TINY, transfer_members=1)) == []
    assert changed(dataclasses.replace(TINY, finetune_rate_decay=0.5)) == [5]
    assert changed(dataclasses.replace(TINY, finetune_rate_decay=1.0)) == []
    # end to end: the finished step 1 is reused under the new step-5 setting
    again = fv.run_study(
        tiny_data, out_dir=study.out_dir, steps=[1], profile=longer_head, verbose=0
    )
    assert again.summary["steps"][0] == study.summary["steps"][0]


def test_a_changed_search_space_reruns_only_step_4(tiny_data, monkeypatch):
    from foodvision.apps.study import records

    def fingerprints():
        return [step_fingerprint(TINY, step, tiny_data, "jax") for step in (1, 2, 3, 4, 5)]

    before = fingerprints()
    narrower = {**fv.DEFAULT_SEARCH_SPACE, "convs_per_block": (1,)}
    monkeypatch.setattr(records, "DEFAULT_SEARCH_SPACE", narrower)
    after = fingerprints()
    assert [step for step, b, a in zip((1, 2, 3, 4, 5), before, after) if b != a] == [4]


def test_scratch_steps_are_scored_with_their_test_time_views(tiny_data, tmp_path):
    flipped = dataclasses.replace(TINY, scratch_tta="flip")
    result = fv.run_study(tiny_data, out_dir=tmp_path, steps=[1], profile=flipped, verbose=0)
    step = result.summary["steps"][0]
    assert step["test_time_views"] == ["original", "flip"]
    model = fv.load_model(tmp_path / step["model_file"])
    again = fv.evaluate(model, tiny_data.test, tiny_data.class_names, interpret=False, tta="flip")
    assert again.tta["accuracy"] == pytest.approx(step["test_accuracy"])
    assert again.accuracy == pytest.approx(step["test_accuracy_single_view"])


def test_a_refit_ensemble_step_5_trains_on_train_and_val_for_the_validated_epochs(
    tiny_data, tmp_path, weights_env
):
    import csv

    profile = dataclasses.replace(
        TINY,
        transfer_refit=True,
        transfer_members=2,
        head_epochs=6,
        transfer_early_stopping=2,
        reference_model=None,
    )
    result = fv.run_study(tiny_data, out_dir=tmp_path, steps=[5], profile=profile, verbose=0)
    (step,) = result.summary["steps"]
    # the refit: train + val, for the epochs the validated phase 1 kept
    assert step["refit_images"] == tiny_data.num_images("train") + tiny_data.num_images("val")
    checkpoint = tmp_path / "step5_vgg16" / "checkpoint"
    with open(checkpoint / "validated" / "head" / "history.csv") as file:
        curve = [float(row["val_accuracy"]) for row in csv.DictReader(file)]
    assert step["validated_head_epochs"] == int(np.argmax(curve)) + 1
    for member in (checkpoint, checkpoint / "member1"):
        with open(member / "head" / "history.csv") as file:
            rows = list(csv.DictReader(file))
        assert len(rows) == step["head_epochs"] == step["validated_head_epochs"]
        assert "val_accuracy" not in rows[0]  # the refit has no validation split
    # the ensemble: its members trained with other seeds; the file is their mean
    assert step["members"] == 2
    model = fv.load_model(tmp_path / step["model_file"])
    first, second = (model.get_layer(f"member_{j}") for j in range(2))
    assert not np.allclose(first.get_weights()[-2], second.get_weights()[-2])
    x = np.concatenate([np.asarray(images) for images, _ in tiny_data.test])
    mean = (first.predict(x, verbose=0) + second.predict(x, verbose=0)) / 2
    np.testing.assert_allclose(model.predict(x, verbose=0), mean, rtol=1e-4, atol=1e-5)
    again = fv.evaluate(model, tiny_data.test, tiny_data.class_names, interpret=False, tta="flip")
    assert again.tta["accuracy"] == pytest.approx(step["test_accuracy"])
    page = result.page.read_text()
    assert f"training and validation images together ({step['refit_images']} images)" in page
    assert "ensemble of 2 models" in page


def test_only_an_attempt_with_the_same_settings_resumes(tmp_path, tiny_data):
    from foodvision.apps.study.plan import study_plan
    from foodvision.apps.study.records import start_attempt

    row = study_plan(TINY, steps=[1])[0]
    checkpoint = tmp_path / "checkpoint"
    same = step_fingerprint(TINY, 1, tiny_data, "jax")
    start_attempt(tmp_path, same, row)
    checkpoint.mkdir()
    (checkpoint / "history.csv").write_text("epoch\n1\n")
    start_attempt(tmp_path, same, row)  # an interrupted run, same settings
    assert (checkpoint / "history.csv").exists()
    reworded = dataclasses.replace(row, title="Reworded", change="Described anew.")
    start_attempt(tmp_path, same, reworded)  # a new version's wording only
    assert (checkpoint / "history.csv").exists()
    start_attempt(tmp_path, step_fingerprint(TINY, 1, tiny_data, "jax", seed=1), row)
    assert not checkpoint.exists()  # another seed: starting over, not resuming


def test_a_reworded_step_description_keeps_the_finished_step(study, tiny_data, monkeypatch):
    from foodvision.apps.study import plan

    steps = tuple(
        dataclasses.replace(step, change=step.change + " Reworded.") for step in plan.STEPS
    )
    monkeypatch.setattr(plan, "STEPS", steps)
    again = fv.run_study(tiny_data, out_dir=study.out_dir, steps=[1], profile=TINY, verbose=0)
    assert again.summary["steps"][0] == study.summary["steps"][0]  # reused, not retrained
    assert again.summary["plan"][0]["change"].endswith("Reworded.")


def test_bad_arguments_fail_before_training(tmp_path, tiny_data):
    with pytest.raises(ValueError, match="valid steps"):
        fv.run_study(tiny_data, steps=[7], out_dir=tmp_path)
    with pytest.raises(ValueError, match="Valid profiles"):
        fv.run_study(tiny_data, profile="fast", out_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fv.run_study(str(tmp_path / "nope"), out_dir=tmp_path)
    not_transfer = dataclasses.replace(TINY, reference_model="baseline_cnn")
    with pytest.raises(ValueError, match="reference_model 'baseline_cnn' is not a transfer"):
        fv.run_study(tiny_data, profile=not_transfer, out_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_step_four_retrains_the_best_hyperparameters(tiny_data, tmp_path, monkeypatch):
    import keras

    import foodvision.apps.study.steps as steps

    best = {"depth": 2, "filters": 8, "dense_units": 16, "learning_rate": 1e-3}
    found = fv.TuningResult(best, 0.5, [{"trial": 1, "score": 0.5}], "bayesian", 1.0)
    monkeypatch.setattr(steps, "tune_cnn", lambda *args, **kwargs: found)
    result = fv.run_study(tiny_data, steps=[4], out_dir=tmp_path, profile=TINY, verbose=0)
    assert result.summary["steps"][0]["best_hyperparameters"] == best
    model = keras.saving.load_model(tmp_path / "step4_tuned" / "checkpoint" / "best.keras")
    pools = [layer for layer in model.layers if layer.name.endswith("_pool")]
    assert len(pools) == 2
    assert model.get_layer("block1_conv1").filters == 8
    assert model.get_layer("head_dense").units == 16
