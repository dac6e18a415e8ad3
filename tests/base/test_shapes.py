import keras
import pytest

from foodvision.base.shapes import model_image_size, model_num_classes


def test_a_built_model_gives_its_classes_and_image_size():
    inputs = keras.Input((24, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(6, activation="softmax")(x))
    assert model_num_classes(model) == 6
    assert model_image_size(model) == (24, 32)


def test_unknown_sizes_and_other_objects_give_none():
    inputs = keras.Input((None, None, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    assert model_image_size(model) is None and model_num_classes(model) == 2
    assert model_image_size(object()) is None and model_num_classes(object()) is None


def test_several_outputs_are_refused():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Flatten()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(2)(x), keras.layers.Dense(3)(x)])
    with pytest.raises(ValueError, match="has 2 outputs"):
        model_num_classes(model)
