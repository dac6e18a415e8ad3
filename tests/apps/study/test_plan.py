from types import SimpleNamespace

import pytest

import foodvision as fv
from foodvision.apps.study.plan import (
    check_model_options,
    resolve_profile,
    resolve_steps,
    study_plan,
)


def test_plan_is_the_table_of_the_five_steps():
    rows = study_plan("quick")
    assert [r.step for r in rows] == [1, 2, 3, 4, 5]
    assert [r.model for r in rows] == [
        "baseline_cnn",
        "deeper_cnn",
        "augmented_cnn",
        "tuned_cnn",
        "vgg16_finetune",
    ]
    assert rows[0].augmentation is None and rows[2].augmentation == "standard"
    assert rows[4].image_size == fv.PROFILES["quick"].transfer_image_size
    assert {r.image_size for r in rows[:4]} == {fv.PROFILES["quick"].scratch_image_size}
    assert rows[0].folder == "step1_baseline"
    # every model of the table is registered
    assert all(r.model in fv.list_models() for r in rows)


def test_full_profile_is_bigger_than_quick():
    quick, full = fv.PROFILES["quick"], fv.PROFILES["full"]
    assert full.scratch_image_size > quick.scratch_image_size
    assert all(full.epochs[s] >= quick.epochs[s] for s in (1, 2, 3, 4))
    assert full.finetune_epochs > 0


def test_steps_are_sorted_and_checked():
    assert resolve_steps([5, 1, 3, 1]) == (1, 3, 5)
    with pytest.raises(ValueError, match=r"unknown step\(s\) \[7\]; valid steps: 1 \(baseline\)"):
        resolve_steps([1, 7])
    with pytest.raises(ValueError, match="no step"):
        resolve_steps([])


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"'fast'.*Valid profiles: quick, full"):
        resolve_profile("fast")
    custom = fv.StudyProfile("mine", epochs={1: 1, 2: 1, 3: 1, 4: 1})
    assert resolve_profile(custom) is custom
    with pytest.raises(ValueError, match="no entry for steps"):
        fv.StudyProfile("bad", epochs={1: 1})


def test_each_step_says_how_it_trains_and_the_plan_sizes_it_by_that():
    from foodvision.apps.study.plan import STEP_KINDS, StudyStep
    from foodvision.apps.study.steps import STEP_RUNNERS

    assert [row.kind for row in study_plan("full")] == [
        "scratch",
        "scratch",
        "scratch",
        "search",
        "transfer",
    ]
    assert set(STEP_RUNNERS) == set(STEP_KINDS)  # a runner for every kind
    full = fv.PROFILES["full"]
    transfer = study_plan(full, steps=[5])[0]
    assert transfer.epochs == full.head_epochs + full.finetune_epochs
    assert transfer.schedule == "two-phase" and transfer.augmentation == "light"
    with pytest.raises(ValueError, match="step kind must be one of"):
        StudyStep(6, "x", "X", "deeper_cnn", None, "", kind="grid")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_size", 0, "batch_size must be an integer >= 1, got 0"),
        ("head_epochs", 1.5, "head_epochs must be an integer >= 1"),
        ("finetune_epochs", -1, "finetune_epochs must be an integer >= 0"),
        ("finetune_average_epochs", 3, r"finetune_average_epochs must be an integer in 0..2"),
        ("transfer_augmentation", "heavy", "transfer_augmentation must be None or one of"),
        ("finetune_schedule", "cosin", "finetune_schedule must be one of"),
        ("transfer_label_smoothing", 1.0, r"transfer_label_smoothing must be in \[0, 1\)"),
        ("transfer_weight_decay", -0.1, "transfer_weight_decay must be >= 0"),
        ("finetune_rate_decay", 0.0, r"finetune_rate_decay must be a number in \(0, 1\], got 0.0"),
        ("finetune_rate_decay", 2, r"finetune_rate_decay must be a number in \(0, 1\], got 2"),
        ("transfer_tta", "mirror", "transfer_tta: unknown test-time augmentation view"),
        ("scratch_tta", "flip,spin", "scratch_tta: unknown test-time augmentation view"),
        ("scratch_tta", True, "scratch_tta must be None or views such as 'flip,zoom', got True"),
        ("scratch_model_options", {4: {}}, "scratch_model_options: 4 is not a step trained"),
        ("scratch_model_options", {2: 0.2}, r"scratch_model_options\[2\] must be a mapping"),
        ("tuning_start_points", {"dropout": 0.2}, "tuning_start_points must be a tuple"),
        ("tuning_start_points", ("dropout",), "tuning_start_points must be a tuple"),
    ],
)
def test_profile_values_are_checked(field, value, message):
    settings = {"epochs": {1: 1, 2: 1, 3: 1, 4: 1}, "finetune_epochs": 2, field: value}
    with pytest.raises(ValueError, match=f"profile 'bad': {message}"):
        fv.StudyProfile("bad", **settings)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"scratch_model_options": {3: {"dropuot": 0.2}}},
            r"scratch_model_options\[3\]: unknown option.*'dropout'",
        ),
        ({"scratch_model_options": {3: {"dropout": 1.5}}}, r"scratch_model_options\[3\]: dropout"),
        ({"scratch_model_options": {1: {"filters": 0}}}, r"scratch_model_options\[1\]: filters"),
        (
            {"tuning_start_points": ({"dropout": 0.7},)},
            r"tuning_start_points: start point \{'dropout': 0.7\}: dropout=0.7 is not in",
        ),
        (
            {"tuning_start_points": ({"dropout": 0.2},), "tuner": "hyperband"},
            "tuning_start_points: start_points need tuner='bayesian'",
        ),
    ],
)
def test_model_options_are_checked_before_the_study_loads_anything(options, message, tmp_path):
    profile = fv.StudyProfile("bad", **options)  # Keras-free: not yet
    with pytest.raises(ValueError, match=f"profile 'bad': {message}"):
        check_model_options(profile)
    with pytest.raises(ValueError, match=message):
        fv.run_study("no/such/folder", profile=profile, out_dir=tmp_path / "study")
    assert not (tmp_path / "study").exists()


def test_start_points_may_take_step3s_own_values():
    # 0.7 is outside the default dropout choices, but step 3's value joins its search
    profile = fv.StudyProfile(
        "own",
        scratch_model_options={3: {"dropout": 0.7}},
        tuning_start_points=({"dropout": 0.7},),
    )
    assert profile.search_space()["dropout"] == (0.7, 0.5, 0.2, 0.3)
    check_model_options(profile)


def test_built_in_profiles_options_build_their_models():
    for profile in fv.PROFILES.values():
        check_model_options(profile)
    options = fv.PROFILES["full"].scratch_model_options[3]
    model = fv.build_model("augmented_cnn", num_classes=5, input_shape=(128, 128, 3), **options)
    assert model.get_layer("block1_conv2") and model.get_layer("block1_bn1")


def test_step5_trains_with_the_profiles_phase_two_settings(monkeypatch, tmp_path):
    from foodvision.apps.study import steps

    seen = {}

    def fake_fine_tune(model, data, **options):
        seen.update(options)
        raise RuntimeError("stop here")

    monkeypatch.setattr(steps, "fine_tune", fake_fine_tune)
    monkeypatch.setattr(steps, "build_model", lambda *args, **kwargs: None)
    profile = fv.StudyProfile(
        "p",
        finetune_epochs=4,
        finetune_schedule="cosine",
        finetune_warmup_epochs=1,
        transfer_label_smoothing=0.1,
        transfer_weight_decay=0.05,
        finetune_rate_decay=0.5,
    )
    row = fv.study_plan(profile, steps=[5])[0]
    data = SimpleNamespace(num_classes=3, image_size=(32, 32))
    context = steps.StepContext(data, profile, 0, tmp_path, 0)
    with pytest.raises(RuntimeError, match="stop here"):
        steps.run_transfer(row, context)
    assert seen["finetune_schedule"] == "cosine" and seen["finetune_warmup_epochs"] == 1
    assert seen["label_smoothing"] == 0.1 and seen["weight_decay"] == 0.05
    assert seen["finetune_epochs"] == 4 and seen["finetune_rate_decay"] == 0.5


def test_scratch_steps_build_their_models_with_the_profiles_options(monkeypatch, tmp_path):
    from foodvision.apps.study import steps

    built, searched = {}, {}

    def fake_build_model(name, **options):
        built[name] = options
        raise RuntimeError("stop here")

    def fake_tune_cnn(data, **options):
        searched.update(options)
        raise RuntimeError("stop here")

    monkeypatch.setattr(steps, "build_model", fake_build_model)
    monkeypatch.setattr(steps, "tune_cnn", fake_tune_cnn)
    options = {"batch_norm": True, "spatial_dropout": 0.0, "dropout": 0.2}
    profile = fv.StudyProfile("p", scratch_model_options={3: options})
    data = SimpleNamespace(num_classes=3, image_size=(32, 32))
    for row in study_plan(profile, steps=[2, 3, 4]):
        context = steps.StepContext(data, profile, 0, tmp_path / row.folder, 0)
        with pytest.raises(RuntimeError, match="stop here"):
            steps.STEP_RUNNERS[row.kind](row, context)
    assert built["deeper_cnn"] == {"num_classes": 3, "input_shape": (32, 32, 3)}
    assert built["augmented_cnn"] == {"num_classes": 3, "input_shape": (32, 32, 3), **options}
    # step 4's search starts from step 3's model
    space = searched["search_space"]
    assert space["batch_norm"][0] is True and space["dropout"][0] == 0.2
    assert space["spatial_dropout"][0] == 0.0
