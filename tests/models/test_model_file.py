"""Self-describing model files: facts inside the ``.keras`` archive, the card beside it."""

import zipfile

import keras
import numpy as np
import pytest
from harness import tiny_model

import foodvision as fv
from foodvision.models import read_facts, update_facts
from foodvision.models.model_file import FACTS_ENTRY, ModelFacts, card_path


def test_facts_round_trip_through_the_archive_and_keras_ignores_them(tmp_path):
    model = tiny_model(num_classes=3, size=8)
    facts = fv.describe_model(
        model,
        ["ramen", "sushi", "pho"],
        resize="crop",
        trained_on={"source": "photos/", "train_images": 30},
        metrics={"test_accuracy": 0.5, "test_accuracy_ci95": [0.4, 0.6], "test_images": 12},
    )
    path = fv.save_model(model, tmp_path / "m.keras", facts)
    assert FACTS_ENTRY in zipfile.ZipFile(path).namelist()
    plain = keras.saving.load_model(path)  # a plain Keras model still
    loaded = fv.load_model(path)
    assert fv.model_facts(loaded) == facts == read_facts(path) == fv.model_facts(path)
    assert facts.class_names == ("ramen", "sushi", "pho") and facts.image_size == (8, 8)
    assert facts.versions["backend"] == keras.backend.backend()
    x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")
    for other in (plain, loaded):
        np.testing.assert_allclose(other.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)
    card = card_path(path).read_text()
    assert card_path(path).name == "m_card.md"
    assert "ramen, sushi, pho" in card and "'crop'" in card
    assert "Test accuracy: 50.0% (95 % bootstrap interval 40.0%-60.0%) on 12" in card


def test_saving_again_keeps_the_facts_and_update_changes_them(tmp_path):
    model = tiny_model(num_classes=2, size=8)
    first = fv.save_model(model, tmp_path / "a.keras", fv.describe_model(model, ["x", "y"]))
    loaded = fv.load_model(first)
    second = fv.save_model(loaded, tmp_path / "b.keras")  # facts taken from the model
    assert read_facts(second).class_names == ("x", "y")
    changed = update_facts(second, metrics={"test_accuracy": 0.75})
    assert read_facts(second) == changed and changed.metrics == {"test_accuracy": 0.75}
    assert "Test accuracy: 75.0%" in card_path(second).read_text()
    fv.load_model(second)  # the rewritten archive is still a valid model


def test_files_without_facts_and_bad_arguments(tmp_path):
    model = tiny_model(num_classes=2, size=8)
    model.save(tmp_path / "plain.keras")
    assert read_facts(tmp_path / "plain.keras") is None
    assert fv.model_facts(fv.load_model(tmp_path / "plain.keras")) is None
    assert read_facts(tmp_path / "missing.keras") is None
    with pytest.raises(ValueError, match="holds no foodvision facts"):
        update_facts(tmp_path / "plain.keras", metrics={})
    with pytest.raises(ValueError, match=r"ends in \.keras"):
        fv.save_model(model, tmp_path / "m.h5")
    with pytest.raises(ValueError, match="3 class names for a model with 2 outputs"):
        fv.describe_model(model, ["a", "b", "c"])
    with pytest.raises(ValueError, match="not a foodvision facts entry"):
        ModelFacts.from_json('{"image_size": [8, 8]}')
