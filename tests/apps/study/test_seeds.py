"""The study over several seeds: paired statistics, one shared search, one folder per seed."""

import json
import shutil

import numpy as np
import pytest
from harness import make_food101

import foodvision as fv
from foodvision.apps.study.inputs import DataAtSize
from foodvision.apps.study.plan import study_plan
from foodvision.apps.study.records import StepResult
from foodvision.apps.study.seeds import compare_over_seeds, seed_list, summarise_over_seeds

SEEDED = fv.StudyProfile(
    "seeded",
    scratch_image_size=16,
    epochs={1: 1, 2: 1, 3: 1, 4: 1},
    tuning_trials=1,
    confirm_top=0,
    bootstrap_resamples=200,
)


def _results(correct_per_step, seed):
    rows = study_plan("quick", steps=list(correct_per_step))
    labels = np.zeros(len(next(iter(correct_per_step.values()))), int)
    return [
        StepResult(
            row,
            {
                "step": row.step,
                "name": row.name,
                "model": row.model,
                "test_accuracy": float(np.mean(correct)),
                "test_loss": 1.0,
                "epochs_run": 3,
                "train_seconds": 2.0,
                "feature_seconds": 1.5,
                "train_images_per_second": 10.0,
                "report_dir": f"{row.folder}/report",
                "model_file": f"{row.folder}/model.keras",
                "seed": seed,
            },
            np.asarray(correct, bool),
            labels,
            {},
        )
        for row, correct in zip(rows, correct_per_step.values())
    ]


def test_seed_list():
    assert seed_list(3, 2) == [3, 4] and seed_list(0, [5, 1]) == [5, 1]
    for bad in (0, [1, 1], [-1], True, []):
        with pytest.raises(ValueError, match="seeds"):
            seed_list(0, bad)


def test_comparisons_pair_the_seeds_and_correct_for_several_tests():
    rng = np.random.default_rng(0)
    runs = []
    for seed in range(5):
        base = rng.random(625) < 0.7
        runs.append(
            _results(
                {
                    1: base,
                    2: base | (rng.random(625) < 0.3),  # clearly better than step 1
                    3: np.where(rng.random(625) < 0.005, ~base, base)
                    | (rng.random(625) < 0.3),  # the same as step 2, give or take
                    4: rng.random(625) < 0.77,  # a bit worse than step 3, with more noise
                },
                seed,
            )
        )
    steps = summarise_over_seeds(runs, [10, 11, 12, 13, 14], resamples=500)
    accuracies = np.array([[r[i].summary["test_accuracy"] for r in runs] for i in range(4)])
    for entry, per_seed in zip(steps, accuracies):
        assert entry["test_accuracy"] == pytest.approx(per_seed.mean())
        assert entry["test_accuracy_sd"] == pytest.approx(per_seed.std(ddof=1))
        assert entry["test_accuracy_per_seed"] == pytest.approx(list(per_seed))
        low, high = entry["test_accuracy_ci95"]
        assert low < entry["test_accuracy"] < high
        assert entry["report_dir"].startswith("seed10/step")
        assert entry["train_seconds"] == 10.0 and entry["feature_seconds"] == 7.5
    comparisons = compare_over_seeds(runs, margin=0.02, resamples=500)
    assert [(c["from_step"], c["to_step"]) for c in comparisons] == [(1, 2), (2, 3), (3, 4)]
    for c, before, after in zip(comparisons, accuracies, accuracies[1:]):
        assert c["change_per_seed"] == pytest.approx(list(after - before))
        assert c["accuracy_change"] == pytest.approx((after - before).mean())
        assert c["p_holm"] >= c["p_value"]
    assert [c["verdict"] for c in comparisons[:2]] == ["improvement", "equivalent"]
    assert comparisons[2]["verdict"] in ("drop", "inconclusive")


def test_each_seed_redraws_the_validation_split(tmp_path):
    root = make_food101(tmp_path / "food", train=10, test=2)
    splits = [DataAtSize(str(root), SEEDED, seed, None)(16).files["val"] for seed in (0, 1)]
    assert sorted(splits[0]) != sorted(splits[1]) and len(splits[0]) == len(splits[1])


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    root = make_food101(tmp_path_factory.mktemp("data") / "food", train=10, test=4)
    out = tmp_path_factory.mktemp("seeded")
    result = fv.run_study(str(root), steps=[1, 4], out_dir=out, profile=SEEDED, seeds=2, verbose=0)
    return result, root


def test_a_study_over_seeds_runs_each_seed_and_pairs_them(seeded):
    out, summary = seeded[0].out_dir, seeded[0].summary
    assert summary["seeds"] == [0, 1] and (out / "summary.json").is_file()
    per_seed = [json.loads((out / f"seed{k}" / "summary.json").read_text()) for k in (0, 1)]
    for index, step in enumerate(summary["steps"]):
        accuracies = [s["steps"][index]["test_accuracy"] for s in per_seed]
        assert step["test_accuracy_per_seed"] == accuracies
        assert step["test_accuracy"] == pytest.approx(np.mean(accuracies))
        assert (out / step["model_file"]).is_file()
    (change,) = summary["comparisons"]
    assert change["accuracy_change"] == pytest.approx(
        np.mean([s["steps"][1]["test_accuracy"] - s["steps"][0]["test_accuracy"] for s in per_seed])
    )
    # one search, shared: both seeds retrained its choice
    assert (out / "search" / "tuning" / "trials.json").is_file()
    assert not (out / "seed1" / "step4_tuned" / "tuning").exists()
    chosen = [s["steps"][1]["best_hyperparameters"] for s in per_seed]
    assert chosen[0] == chosen[1] == summary["steps"][1]["best_hyperparameters"]
    page = (out / "study.html").read_text()
    assert "paired by seed" in page and 'href="seed1/study.html"' in page
    assert "search/tuning/trials.json" in page
    assert "McNemar" in (out / "seed0" / "study.html").read_text()
    # the page links the first seed's reports, which alone look inside the models
    assert (out / "seed0" / "step1_baseline" / "report" / "grad_cam.png").is_file()
    later = out / "seed1" / "step1_baseline" / "report"
    assert (later / "confusion_matrix.png").is_file() and not (later / "grad_cam.png").exists()


def test_the_seed_models_are_also_scored_as_one_ensemble(seeded):
    out, summary = seeded[0].out_dir, seeded[0].summary
    for step in summary["steps"]:
        folder = step["report_dir"].split("/", 1)[1]  # the first seed's, inside seed0/
        kept, labels = [], None
        for k in (0, 1):
            with np.load(out / f"seed{k}" / folder / ".." / "probabilities.npz") as saved:
                probabilities = saved["probabilities"]
            report = fv.EvaluationReport.load(out / f"seed{k}" / folder)
            # the step kept the probabilities its report shows (no test-time views here)
            np.testing.assert_allclose(probabilities, report.probabilities, atol=1e-5)
            kept.append(probabilities)
            labels = report.labels
        expected = (np.mean(kept, axis=0).argmax(axis=1) == labels).mean()
        assert step["seed_ensemble_accuracy"] == pytest.approx(expected)
        low, high = step["seed_ensemble_ci95"]
        assert low <= step["seed_ensemble_accuracy"] <= high
    assert "Seed ensemble (95% CI)" in (out / "study.html").read_text()


def test_steps_finished_before_probabilities_were_kept_use_their_reports(seeded, tmp_path):
    first, root = seeded
    older = tmp_path / "older"
    shutil.copytree(first.out_dir, older)
    for kept in older.glob("seed*/*/probabilities.npz"):
        kept.unlink()
    again = fv.run_study(str(root), steps=[1, 4], out_dir=older, profile=SEEDED, seeds=2, verbose=0)
    for step in again.summary["steps"]:
        folder = step["report_dir"].split("/", 1)[1]
        reports = [fv.EvaluationReport.load(older / f"seed{k}" / folder) for k in (0, 1)]
        mean = np.mean([r.probabilities for r in reports], axis=0)
        expected = (mean.argmax(axis=1) == reports[0].labels).mean()
        assert step["seed_ensemble_accuracy"] == pytest.approx(expected)
    assert not list(older.glob("seed*/*/probabilities.npz"))  # nothing ran again


def test_a_repeated_study_over_seeds_reuses_every_step(seeded):
    first, root = seeded
    again = fv.run_study(
        str(root), steps=[1, 4], out_dir=first.out_dir, profile=SEEDED, seeds=2, verbose=0
    )
    assert again.summary["steps"] == first.summary["steps"]


def test_the_page_says_each_verdict_with_its_interval():
    from foodvision.apps.study.page import verdict

    base = {
        "from_step": 3,
        "to_step": 4,
        "change_ci95": [0.004, 0.036],
        "p_holm": 0.03,
        "equivalence_margin": 0.02,
        "equivalence_ci90": [0.007, 0.033],
    }
    better = verdict({**base, "accuracy_change": 0.02, "verdict": "improvement"})
    assert better == (
        "Step 4 vs step 3: +2.0 points on the mean over seeds (95% interval +0.4 to +3.6, "
        "Holm-corrected p = 0.03): a real improvement."
    )
    same = verdict(
        {
            **base,
            "accuracy_change": 0.001,
            "verdict": "equivalent",
            "p_holm": 0.9,
            "equivalence_ci90": [-0.012, 0.014],
        }
    )
    assert same.endswith("equivalent within 2.0 points (90% interval -1.2 to +1.4).")
    unsure = verdict({**base, "accuracy_change": 0.01, "verdict": "inconclusive"})
    assert "inconclusive" in unsure and "not shown equivalent within 2.0 points" in unsure


def test_the_search_is_reused_only_with_its_own_key(tmp_path, monkeypatch):
    import foodvision.apps.study.steps as steps

    calls = []

    def fake_search(data, **kwargs):
        calls.append(kwargs["seed"])
        (kwargs["directory"] / "bayesian").mkdir(parents=True, exist_ok=True)
        return fv.TuningResult({"filters": 8}, 0.5, [{"trial": 1, "score": 0.5}], "bayesian", 1.0)

    monkeypatch.setattr(steps, "tune_cnn", fake_search)
    row = study_plan(SEEDED, steps=[4])[0]

    def search(key, seed=7):
        context = steps.StepContext(
            None,
            SEEDED,
            3,
            tmp_path / "step",
            0,
            search_dir=tmp_path / "search",
            search_key=key,
            search_seed=seed,
        )
        return steps._search(row, context)

    assert search({"seed": 7}).best_hyperparameters == {"filters": 8}
    assert search({"seed": 7}).best_score == 0.5  # reused from search/tuning
    assert calls == [7]  # the search's own seed, not the step's
    stale = tmp_path / "search" / "tuner" / "bayesian"
    search({"seed": 8}, seed=8)  # other settings: the old KerasTuner state is cleared first
    assert calls == [7, 8] and stale.exists()  # (the new search made its own)
    assert json.loads((tmp_path / "search" / "search.json").read_text()) == {"seed": 8}


def test_single_view_accuracy_of_a_tta_step_is_averaged_over_seeds():
    runs = []
    for seed, single in enumerate((0.5, 0.7)):
        results = _results({5: np.ones(8, bool)}, seed)
        results[0].summary.update(test_time_views=["original", "flip"])
        results[0].summary["test_accuracy_single_view"] = single
        runs.append(results)
    (entry,) = summarise_over_seeds(runs, [0, 1], resamples=100)
    assert entry["test_accuracy_single_view"] == pytest.approx(0.6)
    assert entry["test_accuracy"] == 1.0 and entry["test_time_views"] == ["original", "flip"]


def test_the_page_counts_the_feature_pass_of_every_seed():
    from foodvision.apps.study.page import step_details

    step = {"cached_features": True, "cached_boundary": "block5_pool", "feature_seconds": 900}
    assert "ran once over the images (900s, features cached at block5_pool)" in step_details(step)
    assert "ran once per seed over the images (900s in all," in step_details({**step, "seeds": 3})


def test_the_page_gives_phase_twos_rates_per_block():
    from foodvision.apps.study.page import step_details

    step = {"head_epochs": 30, "finetune_epochs": 20, "trainable_blocks": 3}
    assert "times the learning rate" not in step_details(step)
    decayed = step_details({**step, "rate_decay": 0.5, "averaged_epochs": 5})
    assert (
        "top 3 block(s) trainable, each block below the top one at 0.5 times the learning "
        "rate of the block above it, ending with the mean of the weights of its last 5"
    ) in decayed


def test_the_page_says_how_a_refit_fixed_its_phase_one():
    from foodvision.apps.study.page import step_details

    step = {"head_epochs": 7, "refit_images": 1875, "validated_head_epochs": 7}
    assert "together (1875 images)" in step_details(step)
    assert "fixed phase 1 at 7 epochs on the first seed." in step_details({**step, "seeds": 3})
    without = step_details({"head_epochs": 30, "refit_images": 1875})
    assert "phase 1 ran all its epochs" in without and "validated" not in without
