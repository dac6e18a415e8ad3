import pytest

import foodvision as fv
from foodvision.study import resolve_profile, resolve_steps, study_plan


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
