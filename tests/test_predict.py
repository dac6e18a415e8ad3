"""``fv.predict_files``: files in, ranked class names out, bad files skipped with a reason."""

import keras
import numpy as np
import pytest
from harness import tiny_model, tiny_random_cnn, write_image

import foodvision as fv


def flexible_model(num_classes=3):
    """A model without a fixed input size (global pooling after a convolution)."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(2, 3, padding="same")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))


def test_ranked_predictions_match_the_model_on_the_resized_image(tmp_path):
    model = tiny_model(num_classes=3, size=8)
    image = np.full((8, 8, 3), 90, np.uint8)
    path = write_image(tmp_path / "plate.png", image)
    (tmp_path / "empty.jpg").write_bytes(b"")
    names = ["a", "b", "c"]
    results = fv.predict_files(model, [str(path), str(tmp_path / "empty.jpg")], class_names=names)
    expected = np.asarray(model.predict_on_batch(image[None].astype("float32")))[0]
    ranked = results[0].top
    assert [name for name, _ in ranked] == [names[i] for i in np.argsort(-expected)]
    np.testing.assert_allclose([p for _, p in ranked], np.sort(expected)[::-1], rtol=1e-5)
    assert results[1].error.startswith("empty file") and results[1].top == []


def test_image_size_resizes_for_a_flexible_model_and_must_fit_a_fixed_one(tmp_path):
    path = write_image(tmp_path / "plate.png", np.full((40, 60, 3), 200, np.uint8))
    model = flexible_model()
    with pytest.raises(ValueError, match="does not fix its input size; pass image_size"):
        fv.predict_files(model, [str(path)])
    seen = []
    for size in ((8, 8), (40, 60)):
        [result] = fv.predict_files(model, [str(path)], image_size=size, top_k=3)
        ranked = result.top
        # a uniform image stays uniform when resized; the zero padding at its borders
        # makes the outputs depend on the size the model sees
        uniform = np.full((1, *size, 3), 200, np.float32)
        expected = np.sort(np.asarray(model.predict_on_batch(uniform))[0])[::-1]
        np.testing.assert_allclose([p for _, p in ranked], expected, rtol=1e-5)
        seen.append(expected)
    assert np.abs(seen[0] - seen[1]).max() > 1e-4
    with pytest.raises(ValueError, match=r"differs from the model's input size \(8, 8\)"):
        fv.predict_files(tiny_model(size=8), [str(path)], image_size=(16, 16))


def saved_with_facts(tmp_path, names=("a", "b", "c"), resize="stretch"):
    model = tiny_model(num_classes=len(names), size=8)
    facts = fv.describe_model(model, list(names), resize=resize)
    return model, fv.save_model(model, tmp_path / "model.keras", facts)


def test_folders_are_searched_and_class_names_come_from_the_model_file(tmp_path):
    model, path = saved_with_facts(tmp_path, names=("ramen", "sushi", "pho"))
    photos = tmp_path / "photos"
    write_image(photos / "one.png", np.full((8, 8, 3), 30, np.uint8))
    write_image(photos / "deeper" / "two.png", np.full((8, 8, 3), 220, np.uint8))
    (photos / "notes.txt").write_text("not a photo")  # not an image suffix: not listed
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    results = fv.predict_files(path, [photos, tmp_path / "broken.jpg"], top_k=2)
    assert [r.path for r in results] == [
        str(photos / "deeper" / "two.png"),
        str(photos / "one.png"),
        str(tmp_path / "broken.jpg"),
    ]
    assert all(len(r.top) == 2 and r.error is None for r in results[:2])
    assert {name for r in results[:2] for name, _ in r.top} <= {"ramen", "sushi", "pho"}
    assert results[2].top == [] and results[2].error
    assert results[0].to_dict()["top"][0]["class"] == results[0].top[0][0]


def test_tta_is_the_mean_over_the_image_and_its_mirror(tmp_path):
    model = tiny_random_cnn(num_classes=4, size=16)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
    path = write_image(tmp_path / "photo.png", image)
    [plain] = fv.predict_files(model, [path], top_k=4)
    [mean] = fv.predict_files(model, [path], top_k=4, tta=True)
    x = image[None].astype("float32")
    expected = (model.predict_on_batch(x) + model.predict_on_batch(x[:, :, ::-1]))[0] / 2
    got = dict(mean.top)
    np.testing.assert_allclose([got[f"class_{i}"] for i in range(4)], expected, rtol=1e-5)
    assert dict(plain.top) != got
    with pytest.raises(ValueError, match="unknown test-time augmentation view"):
        fv.predict_files(model, [path], tta="rotate")


def test_predict_command_writes_text_json_and_csv(tmp_path, capsys, monkeypatch):
    import csv
    import io
    import json

    from foodvision.apps.cli import main

    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    _, path = saved_with_facts(tmp_path)
    photo = write_image(tmp_path / "p.png", np.full((12, 10, 3), 99, np.uint8))
    (tmp_path / "bad.png").write_bytes(b"")
    files = [str(path), str(photo), str(tmp_path / "bad.png")]
    assert main(["predict", *files, "--format", "json", "--top-k", "2", "-q"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["path"] == str(photo) and len(rows[0]["top"]) == 2
    assert rows[1]["error"].startswith("empty file") and rows[1]["top"] == []
    assert main(["predict", *files[:2], "--format", "csv", "--tta"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["rank"] for row in table] == ["1", "2", "3"]
    assert {row["class"] for row in table} == {"a", "b", "c"}
    assert main(["predict", *files[:2]]) == 0
    assert capsys.readouterr().out.startswith(f"{photo}: ")
    assert main(["predict", files[0], files[2]]) == 1  # nothing could be read
    output = capsys.readouterr()
    assert output.out.startswith(f"{files[2]}: skipped (empty file")
    assert output.err == "foodvision predict: error: none of the 1 image(s) could be read\n"


def test_an_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    model = tiny_model(size=8)
    with pytest.raises(ValueError, match="no image files in"):
        fv.predict_files(model, [tmp_path / "empty"])
    write_image(tmp_path / "plate.png", np.full((8, 8, 3), 120, np.uint8))
    results = fv.predict_files(model, [tmp_path / "empty", tmp_path / "plate.png"], top_k=1)
    assert results[0].path == str(tmp_path / "empty") and results[0].top == []
    assert results[0].error == "a folder with no image files"  # reported, not dropped
    assert results[1].error is None and len(results[1].top) == 1
    for bad in ({"top_k": 0}, {"batch_size": 0}):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be an integer >= 1"):
            fv.predict_files(model, [tmp_path / "plate.png"], **bad)
