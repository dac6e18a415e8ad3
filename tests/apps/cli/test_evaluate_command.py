"""The ``evaluate`` command (``foodvision.apps.cli.evaluate``)."""

import argparse
import json

import pytest
from harness import check_images_resolve, tiny_random_cnn

from foodvision.apps.cli import evaluate
from foodvision.apps.cli.common import UsageError

# keras.Model.save on JAX warns about numpy 2 copy semantics; not this package.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def parse(*argv):
    parser = argparse.ArgumentParser(prog="foodvision")
    commands = parser.add_subparsers(dest="command")
    evaluate.add_parser(commands)
    return parser.parse_args(list(argv))


@pytest.fixture
def saved_model(tmp_path):
    path = tmp_path / "model" / "best.keras"
    path.parent.mkdir()
    tiny_random_cnn(num_classes=3, size=16).save(path)
    (path.parent / "history.csv").write_text("epoch,accuracy,loss\n0,0.4,1.2\n1,0.5,1.0\n")
    return path


def test_defaults():
    args = parse("evaluate", "m.keras", "--out", "r")
    assert (args.data, args.split, args.image_size, args.top_k) == ("synthetic", "test", None, 5)
    with pytest.raises(SystemExit):
        parse("evaluate", "m.keras")  # --out is required


def test_evaluate_folder_dataset(saved_model, make_folder_dataset, tmp_path, capsys):
    root = make_folder_dataset(classes=("apple_pie", "baby_back_ribs", "sushi"), per_class=8)
    out = tmp_path / "report"
    args = parse(
        "evaluate",
        str(saved_model),
        "--data",
        str(root),
        "--out",
        str(out),
        "--test-split",
        "0.5",
        "--batch-size",
        "5",
    )
    assert args.handler(args) == 0
    printed = capsys.readouterr().out
    assert "accuracy" in printed and str(out / "report.html") in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["class_names"] == ["apple_pie", "baby_back_ribs", "sushi"]
    assert metrics["num_samples"] == 12
    assert metrics["model"] == "tiny_cnn"
    assert metrics["history"]["loss"] == [1.2, 1.0]  # history.csv beside the model
    assert all(m["file"].endswith(".jpg") for m in metrics["worst_mistakes"])
    assert "training_curves" in metrics["files"]["figures"]
    assert "grad_cam" in metrics["files"]["figures"]
    check_images_resolve(out / "report.html")


def test_missing_model_and_wrong_classes(saved_model, make_folder_dataset, tmp_path):
    args = parse("evaluate", str(tmp_path / "nope.keras"), "--out", str(tmp_path / "r"))
    with pytest.raises(UsageError, match="does not exist"):
        args.handler(args)
    root = make_folder_dataset(classes=("a", "b"), per_class=4)
    args = parse("evaluate", str(saved_model), "--data", str(root), "--out", str(tmp_path / "r"))
    with pytest.raises(ValueError, match="class_names has 2 names but the model outputs 3"):
        args.handler(args)
