"""Per-layer learning rates: each layer's step is its factor times the plain step."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from harness import tiny_image_data

import foodvision as fv
from foodvision.training.rate_factors import layer_rate_factors
from foodvision.training.schedules import make_optimizer

STEP_SCRIPT = r"""
import json, sys
import keras
import numpy as np
from foodvision.training.rate_factors import layer_rate_factors
from foodvision.training.schedules import make_optimizer


def two_layers():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, name="low")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, name="top")(hidden))


def step_ratios(name, factors):
    # one step from the same weights on the same batch, without and with the factors:
    # each weight's change divided by its change without them
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = np.array([0, 1] * 4)
    changes = []
    for scaled in (None, factors):
        model = two_layers()
        before = model.get_weights()
        optimizer = make_optimizer(name, 0.01, rate_factors=layer_rate_factors(model, scaled))
        model.compile(optimizer, "sparse_categorical_crossentropy")
        if scaled:  # as fv.train's mixed-precision copy gets it: a clone and its config
            copy = keras.models.clone_model(model)
            copy.set_weights(before)
            copy.compile_from_config(model.get_compile_config())
            model = copy
        model.train_on_batch(x, y)
        changes.append([a - b for a, b in zip(model.get_weights(), before)])
    plain, scaled = changes
    return [float(np.abs(s).sum() / np.abs(p).sum()) for p, s in zip(plain, scaled)]


print(json.dumps({name: step_ratios(name, {"low": 0.25}) for name in ("sgd", "adam", "rmsprop")}))
"""
EXPECTED_RATIOS = [0.25, 0.25, 1.0, 1.0]
"""``low``'s kernel and bias step at a quarter; ``top``'s at the full rate."""


def step_ratios_on(backend):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", STEP_SCRIPT], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("backend", ["jax", "tensorflow", "torch"])
def test_each_layer_steps_at_its_factor_of_the_rate_on_every_backend(backend):
    # Adam and RMSprop divide a gradient's scale out: only scaling the rate inside the
    # update rule gives a quarter of the step
    ratios = step_ratios_on(backend)
    for name, got in ratios.items():
        np.testing.assert_allclose(got, EXPECTED_RATIOS, rtol=1e-4, err_msg=name)


def test_factors_name_layers_and_must_be_positive():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="only")(inputs))
    assert layer_rate_factors(model, {"only": 0.5}) == {"only/kernel": 0.5, "only/bias": 0.5}
    assert layer_rate_factors(model, None) == {}
    with pytest.raises(ValueError, match=r"does not have: \['missing'\]"):
        layer_rate_factors(model, {"missing": 0.5})
    for bad in (0, -1.0, True, "0.5"):
        with pytest.raises(ValueError, match="rate factor of 'only' must be a number > 0"):
            layer_rate_factors(model, {"only": bad})
    optimizer = make_optimizer("adam", 1e-3, rate_factors={"only/kernel": 0.5})
    again = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(again) is type(optimizer) and again.rate_factors == {"only/kernel": 0.5}


def test_train_records_the_factors_and_a_change_is_refused(tmp_path):
    data = tiny_image_data(per_class=4, size=8, batch_size=12)

    def run(factors, epochs=1, **options):
        keras.utils.set_random_seed(0)
        model = fv.build_model("baseline_cnn", num_classes=3, input_shape=(8, 8, 3))
        start = model.get_weights()
        fv.train(model, data, epochs, augmentation=None, rate_factors=factors, verbose=0, **options)
        return [a - b for a, b in zip(model.get_weights(), start)], model

    plain, model = run(None)
    scaled, trained = run({"block1_conv1": 0.5}, checkpoint_dir=tmp_path)
    # one full-batch Adam step: the first convolution's change is half the plain one
    paths = [w.path for w in model.weights]
    for path, factor in (("block1_conv1/kernel", 0.5), ("predictions/kernel", 1.0)):
        k = paths.index(path)
        np.testing.assert_allclose(scaled[k], factor * plain[k], rtol=1e-4, atol=1e-8)
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["rate_factors"] == {"block1_conv1": 0.5}
    # a model compiled with the factors saves and loads with its optimizer
    loaded = fv.load_model(fv.save_model(trained, tmp_path / "trained.keras"))
    assert loaded.optimizer.rate_factors == {"block1_conv1/kernel": 0.5, "block1_conv1/bias": 0.5}
    with pytest.raises(ValueError, match="rate_factors"):
        run({"block1_conv1": 0.25}, epochs=2, checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match=r"does not have: \['block9'\]"):
        run({"block9": 0.5})


def test_factors_that_would_be_ignored_or_match_nothing_are_refused():
    data = tiny_image_data(per_class=4, size=8, batch_size=12)
    model = fv.build_model("baseline_cnn", num_classes=3, input_shape=(8, 8, 3))
    factors = {"block1_conv1": 0.5}
    with pytest.raises(ValueError, match="optimizer given by name"):
        fv.train(model, data, 1, optimizer=keras.optimizers.SGD(0.1), rate_factors=factors)
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="compiled already, with an optimizer without these"):
        fv.train(model, data, 1, rate_factors=factors, verbose=0)
    # an optimizer whose factors name variables it does not train says so (a warning:
    # a saved model compiled with it must still load)
    lost = make_optimizer("adam", 1e-3, rate_factors={"elsewhere/kernel": 0.5})
    model.compile(lost, "sparse_categorical_crossentropy")
    with pytest.warns(fv.FoodvisionWarning, match="none of the rate factors' variables"):
        model.train_on_batch(np.zeros((2, 8, 8, 3), "float32"), np.zeros(2, "int32"))


def test_factors_reach_a_nested_model_trained_as_a_mixed_precision_copy(tmp_path):
    # the variables of a loaded nested model change their paths when it is cloned for
    # mixed precision: the factors are keyed by the copy's own paths
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    inner = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(4, 3)],
        name="inner",
    )
    pooled = keras.layers.GlobalAveragePooling2D()(inner(inputs))
    built = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(pooled))
    path = fv.save_model(built, tmp_path / "nested.keras")
    data = tiny_image_data(per_class=4, size=8, batch_size=12)
    changes = []
    for factors in (None, {"inner": 0.5}):
        model = fv.load_model(path, compile=False)
        start = model.get_weights()
        fv.train(
            model,
            data,
            1,
            augmentation=None,
            rate_factors=factors,
            precision="mixed_bfloat16",
            verbose=0,
        )
        changes.append([a - b for a, b in zip(model.get_weights(), start)])
    plain, scaled = changes
    kernel = [w.path for w in model.weights].index(model.get_layer("inner").weights[0].path)
    ratio = np.abs(scaled[kernel]).sum() / np.abs(plain[kernel]).sum()
    assert ratio == pytest.approx(0.5, rel=1e-2)
    assert np.abs(scaled[-1]).sum() == pytest.approx(np.abs(plain[-1]).sum(), rel=1e-2)
