"""The saved report: HTML page, metrics.json, predictions.csv, PNGs, comparison."""

import csv
import json
import shutil

import keras
import numpy as np
import pytest
from harness import (
    LONG_NAMES,
    check_images_resolve,
    parse_page,
    tiny_images,
    tiny_random_cnn,
)

from foodvision.evaluation import (
    FIGURE_NAMES,
    METRICS_KEYS,
    EvaluationReport,
    compare_reports,
    evaluate,
    load_metrics,
)
from foodvision.evaluation.make_report import evaluate_predictions

HISTORY = {
    "loss": [1.4, 1.1, 0.9],
    "accuracy": [0.3, 0.5, 0.6],
    "val_loss": [1.3, 1.2, 1.25],
    "val_accuracy": [0.35, 0.45, 0.44],
}


@pytest.fixture(scope="module")
def full_report():
    images, labels = tiny_images()
    files = [f"images/{LONG_NAMES[c]}/{i:04d}.jpg" for i, c in enumerate(labels)]
    history = keras.callbacks.History()
    history.history = HISTORY
    return evaluate(tiny_random_cnn(), (images, labels), LONG_NAMES, history=history, files=files)


@pytest.fixture(scope="module")
def saved(full_report, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    page = full_report.save(folder)
    return folder, page


def test_report_has_every_figure(full_report):
    assert full_report.available_figures() == list(FIGURE_NAMES)
    assert full_report.interpretation.grad_cam_layer == "conv_2"
    heatmaps = full_report.interpretation.grad_cam_heatmaps
    assert heatmaps.shape[1:] == (16, 16) and 0 <= heatmaps.min() and heatmaps.max() <= 1


def test_saved_files(saved, full_report):
    folder, page = saved
    assert page == folder / "report.html"
    for name in full_report.available_figures():
        assert (folder / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    assert (folder / "metrics.json").is_file() and (folder / "predictions.csv").is_file()


def test_html_images_resolve_and_tables_present(saved, full_report):
    folder, page = saved
    assert check_images_resolve(page) == len(full_report.available_figures())
    parser = parse_page(page)
    # summary, per class, confusion counts, calibration bins, mistakes, history values
    assert parser.tables >= 6
    text = page.read_text(encoding="utf-8")
    for name in LONG_NAMES:
        assert name in text
    assert f"{full_report.accuracy:.4f}" in text
    for link in parser.links:
        assert (folder / link).is_file(), link


def test_page_with_relative_images_survives_a_move(full_report, tmp_path):
    page = full_report.save(tmp_path / "a", embed_images=False)
    assert all(not s.startswith("data:") for s in parse_page(page).images)
    moved = shutil.move(str(tmp_path / "a"), str(tmp_path / "b"))
    assert check_images_resolve(f"{moved}/report.html") == len(full_report.available_figures())


def test_metrics_json_schema_and_values(saved, full_report):
    folder, _ = saved
    data = json.loads((folder / "metrics.json").read_text())
    assert tuple(data) == METRICS_KEYS
    assert data["schema_version"] == 1
    assert data["accuracy"] == pytest.approx(full_report.accuracy)
    assert data["confusion_matrix"] == full_report.confusion_matrix.tolist()
    assert all(isinstance(v, int) for row in data["confusion_matrix"] for v in row)
    assert np.allclose(data["confusion_matrix_normalized"], full_report.confusion_matrix_normalized)
    assert list(data["per_class"]) == list(LONG_NAMES)
    assert set(data["per_class"]["pizza"]) == {"precision", "recall", "f1", "support"}
    assert data["history"] == HISTORY
    assert data["num_samples"] == 40 and data["class_names"] == list(LONG_NAMES)
    assert data["expected_calibration_error"] == pytest.approx(full_report.ece)
    assert len(data["calibration"]["bin_edges"]) == data["calibration"]["n_bins"] + 1
    first = data["worst_mistakes"][0]
    assert set(first) == {"index", "file", "true", "predicted", "confidence", "true_probability"}
    assert first["file"].startswith("images/")
    assert set(data["files"]["figures"]) == set(full_report.available_figures())


def test_predictions_csv(saved, full_report):
    folder, _ = saved
    with open(folder / "predictions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40
    assert [int(r["predicted_index"]) for r in rows] == full_report.predictions.tolist()
    assert rows[3]["file"] == "images/eggs_benedict/0003.jpg"
    probs = np.array([[float(r[f"prob:{n}"]) for n in LONG_NAMES] for r in rows])
    np.testing.assert_allclose(probs, full_report.probabilities, rtol=1e-5)


def test_load_round_trip(saved, full_report):
    folder, _ = saved
    loaded = EvaluationReport.load(folder)
    assert loaded.accuracy == pytest.approx(full_report.accuracy)
    np.testing.assert_array_equal(loaded.confusion_matrix, full_report.confusion_matrix)
    assert loaded.ece == pytest.approx(full_report.ece, abs=1e-5)
    assert loaded.files == full_report.files
    assert [m.index for m in loaded.mistakes] == [m.index for m in full_report.mistakes]
    assert loaded.history == HISTORY


def test_compare_reports_from_objects_and_folders(saved, full_report, tmp_path):
    folder, _ = saved
    better = evaluate_predictions(
        np.eye(4)[full_report.labels] * 0.9 + 0.025,
        full_report.labels,
        LONG_NAMES,
        title="perfect",
    )
    comparison = compare_reports({"step 1": folder, "step 2": better}, out_dir=tmp_path / "cmp")
    assert comparison.names == ["step 1", "step 2"]
    assert comparison.rows[0]["accuracy"] == pytest.approx(full_report.accuracy)
    assert comparison.rows[1]["accuracy"] == 1.0
    assert comparison.best("accuracy") == "step 2"
    assert comparison.per_class_f1["pizza"]["step 2"] == 1.0
    page = tmp_path / "cmp" / "comparison.html"
    assert check_images_resolve(page) == 1
    parser = parse_page(page)
    assert parser.tables == 2
    # The link to the saved report is relative and resolves.
    assert len(parser.links) == 1 and not parser.links[0].startswith("/")
    assert (page.parent / parser.links[0]).resolve() == (folder / "report.html").resolve()
    saved_json = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert [r["name"] for r in saved_json["runs"]] == ["step 1", "step 2"]


def test_compare_reports_errors(tmp_path):
    with pytest.raises(ValueError, match="no reports"):
        compare_reports({})
    with pytest.raises(FileNotFoundError, match="metrics.json"):
        compare_reports({"x": tmp_path})
    with pytest.raises(ValueError, match="EvaluationReport or the folder"):
        compare_reports({"x": 3})


def test_load_metrics_rejects_other_json(tmp_path):
    (tmp_path / "metrics.json").write_text("{}")
    with pytest.raises(ValueError, match="not a foodvision metrics.json"):
        load_metrics(tmp_path)


def test_report_without_extras_has_core_figures(tmp_path):
    report = evaluate_predictions([[0.9, 0.1], [0.4, 0.6]], [0, 0], ["a", "b"])
    assert report.available_figures() == ["confusion_matrix", "per_class_f1", "reliability"]
    page = report.save(tmp_path)
    assert check_images_resolve(page) == 3
    assert "No wrong predictions" not in page.read_text()
    with pytest.raises(ValueError, match="has no figure 'grad_cam'"):
        report.figure("grad_cam")
