"""The registry: listing, specs, registering, and clear errors before anything is built."""

import dataclasses

import pytest

import foodvision as fv
from foodvision.models import unregister_model

STUDY_MODELS = {"baseline_cnn", "deeper_cnn", "augmented_cnn", "tuned_cnn", "vgg16_finetune"}


@dataclasses.dataclass(frozen=True)
class ProbeConfig:
    units: int = 4


@pytest.fixture
def probe_model():
    """A registered model whose builder records its calls instead of building."""
    calls = []

    @fv.register_model(
        "probe_test_model",
        family="test",
        config=ProbeConfig,
        input_shape=(40, 40, 3),
        preprocessing="none",
        min_input_size=20,
    )
    def probe(config, *, num_classes, input_shape, name):
        """A probe. Second line."""
        calls.append((config, num_classes, input_shape, name))
        return "built"

    yield calls
    unregister_model("probe_test_model")


def test_list_models_is_sorted_and_filters_with_fnmatch():
    names = fv.list_models()
    assert names == sorted(names) and STUDY_MODELS <= set(names)
    assert len([n for n in names if n.endswith("_finetune")]) >= 4  # VGG16 and 3 more
    assert fv.list_models("vgg*") == ["vgg16_finetune"]
    assert fv.list_models("*_cnn") == ["augmented_cnn", "baseline_cnn", "deeper_cnn", "tuned_cnn"]
    assert fv.list_models("nothing*") == []


def test_spec_is_frozen_and_describes_the_model():
    spec = fv.get_model_spec("vgg16_finetune")
    assert isinstance(spec, fv.ModelSpec)
    assert spec.family == "transfer" and spec.input_shape == (224, 224, 3)
    assert "caffe" in spec.preprocessing and spec.reference and spec.description
    assert spec.blocks == tuple(f"block{i}_pool" for i in range(1, 6))
    assert spec.hyperparameters["weights"] == "imagenet"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "other"
    with pytest.raises(TypeError):
        spec.hyperparameters["dropout"] = 0.0
    assert fv.get_model_spec("augmented_cnn").augmentation == "standard"
    assert fv.get_model_spec("deeper_cnn").hyperparameters["depth"] == 4
    assert fv.get_model_spec("baseline_cnn").family == "cnn"


def test_register_build_and_defaults(probe_model):
    assert "probe_test_model" in fv.list_models()
    spec = fv.get_model_spec("probe_test_model")
    assert spec.description == "A probe. Second line."
    assert dict(spec.hyperparameters) == {"units": 4}
    assert fv.build_model("probe_test_model", num_classes=3, units=9) == "built"
    assert probe_model == [(ProbeConfig(units=9), 3, (40, 40, 3), "probe_test_model")]
    fv.build_model("probe_test_model", input_shape=[24, 30, 3])
    assert probe_model[-1][1:] == (5, (24, 30, 3), "probe_test_model")


def test_registering_twice_or_with_a_mutable_config_fails(probe_model):
    with pytest.raises(ValueError, match="already registered"):
        fv.register_model(
            "probe_test_model",
            family="t",
            config=ProbeConfig,
            input_shape=(8, 8, 3),
            preprocessing="none",
        )(lambda config, **kw: None)

    @dataclasses.dataclass
    class Mutable:
        units: int = 1

    with pytest.raises(ValueError, match="frozen dataclass"):
        fv.register_model(
            "mutable_test_model",
            family="t",
            config=Mutable,
            input_shape=(8, 8, 3),
            preprocessing="none",
        )
    assert "mutable_test_model" not in fv.list_models()


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("vgg61", "vgg16_finetune"), ("deeper", "deeper_cnn"), ("resnet_50", "resnet50_finetune")],
)
def test_unknown_model_suggests_the_closest_names_and_lists_all(name, suggestion):
    with pytest.raises(ValueError) as info:
        fv.build_model(name)
    message = str(info.value)
    assert f"unknown model {name!r}" in message
    hint, available = message.split("Available:")
    assert "did you mean" in hint and repr(suggestion) in hint
    assert all(n in available for n in fv.list_models())


def test_unknown_override_names_the_accepted_ones(probe_model):
    with pytest.raises(ValueError, match=r"'unit' \(did you mean 'units'\?\). Accepted: units"):
        fv.build_model("probe_test_model", unit=3)
    with pytest.raises(ValueError, match="Accepted: .*dropout.*pooling"):
        fv.build_model("deeper_cnn", dropot=0.2)
    with pytest.raises(ValueError, match="Accepted: weights, trainable_blocks"):
        fv.build_model("vgg16_finetune", weight=None)
    assert probe_model == []


@pytest.mark.parametrize("num_classes", [1, 0, -3, 2.0, True, "5", None])
def test_num_classes_must_be_an_integer_of_at_least_two(probe_model, num_classes):
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2"):
        fv.build_model("probe_test_model", num_classes=num_classes)
    assert probe_model == []


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((16, 40, 3), "too small for 'probe_test_model'.*at least 20"),
        ((40, 40), r"\(height, width, 3\)"),
        ((40, 40, 1), r"\(height, width, 3\)"),
        ("big", r"\(height, width, 3\)"),
    ],
)
def test_bad_input_shapes_fail_before_building(probe_model, shape, match):
    with pytest.raises(ValueError, match=match):
        fv.build_model("probe_test_model", input_shape=shape)
    assert probe_model == []


def test_the_minimum_input_size_follows_the_configuration(monkeypatch):
    import keras

    monkeypatch.setattr(keras, "Input", lambda *a, **k: pytest.fail("built before checking"))
    with pytest.raises(ValueError, match="too small for 'deeper_cnn'.*at least 32"):
        fv.build_model("deeper_cnn", input_shape=(16, 64, 3), depth=5)
    with pytest.raises(ValueError, match="too small for 'tuned_cnn'.*at least 64"):
        fv.build_model("tuned_cnn", input_shape=(32, 32, 3), depth=6)
    with pytest.raises(ValueError, match="too small for 'vgg16_finetune'.*at least 32"):
        fv.build_model("vgg16_finetune", input_shape=(31, 64, 3), weights=None)
    assert fv.get_model_spec("deeper_cnn").min_input_size == 16
    monkeypatch.undo()
    model = fv.build_model("deeper_cnn", input_shape=(8, 8, 3), depth=3)  # 8 = 2**3 is enough
    assert tuple(model.get_layer("block3_pool").output.shape) == (None, 1, 1, 128)


def test_config_values_are_checked_before_building(probe_model):
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\)"):
        fv.build_model("deeper_cnn", dropout=1.5)
    with pytest.raises(ValueError, match="depth must be an integer"):
        fv.build_model("deeper_cnn", depth=0)
    with pytest.raises(ValueError, match="conv_blocks must be an integer in 1..2"):
        fv.build_model("baseline_cnn", conv_blocks=3)
