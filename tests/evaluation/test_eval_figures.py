"""Figures: right content, readable labels (no overlaps), no pyplot global state."""

import math
import sys

import keras
import numpy as np
import pytest

from foodvision.evaluation import (
    calibration_bins,
    plot_comparison,
    plot_confusion_matrix,
    plot_feature_maps,
    plot_filters,
    plot_grad_cam,
    plot_mistakes,
    plot_per_class_f1,
    plot_reliability_diagram,
    plot_training_curves,
)

FOOD = [
    "baby_back_ribs",
    "chicken_quesadilla",
    "pizza",
    "eggs_benedict",
    "hot_and_sour_soup",
    "sushi",
    "grilled_cheese_sandwich",
    "french_onion_soup",
    "macaroni_and_cheese",
    "strawberry_shortcake",
    "beef_carpaccio",
    "fries",
]


def drawn(figure):
    figure.canvas.draw()
    return figure.canvas.get_renderer()


def assert_no_overlap(texts, renderer):
    boxes = [t.get_window_extent(renderer) for t in texts if t.get_text()]
    for a, b in zip(boxes, boxes[1:]):
        assert not a.overlaps(b), (a, b)


def assert_rotated_labels_apart(axis, renderer):
    """Labels rotated by 45 degrees: their perpendicular spacing exceeds the text height."""
    labels = [t for t in axis.get_xticklabels() if t.get_text()]
    assert all(t.get_rotation() == 45 for t in labels)
    xs = [t.get_window_extent(renderer).x1 for t in labels]
    spacing = min(b - a for a, b in zip(xs, xs[1:]))
    height = labels[0].get_fontsize() * axis.figure.dpi / 72
    assert spacing * math.sin(math.radians(45)) >= height


@pytest.mark.parametrize("count", [5, 12, 101])
def test_confusion_matrix_labels_readable(count):
    names = [FOOD[i % len(FOOD)] + (f"_{i}" if i >= len(FOOD) else "") for i in range(count)]
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 9, (count, count))
    figure = plot_confusion_matrix(matrix, names)
    renderer = drawn(figure)
    counts_axis, normalised_axis = figure.axes[0], figure.axes[1]
    assert counts_axis.get_title() == "counts" and "normalised" in normalised_axis.get_title()
    assert counts_axis.get_xlabel() == "predicted class"
    assert counts_axis.get_ylabel() == "true class"
    for axis in (counts_axis, normalised_axis):
        assert_no_overlap(axis.get_yticklabels(), renderer)
        assert_rotated_labels_apart(axis, renderer)
        assert not any("_" in t.get_text() for t in axis.get_yticklabels())
    # Counts are written in the cells for small matrices, rows of the right panel sum to 1.
    if count <= 12:
        cell_texts = [t.get_text() for t in counts_axis.texts]
        assert cell_texts == [str(v) for v in matrix.ravel()]
        right = np.array([float(t.get_text()) for t in normalised_axis.texts])
        np.testing.assert_allclose(right.reshape(count, count).sum(1), 1.0, atol=0.03)
    # Every label stays inside the figure.
    width, height = figure.canvas.get_width_height()
    for text in counts_axis.get_xticklabels() + counts_axis.get_yticklabels():
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1


def test_confusion_matrix_rejects_wrong_names():
    with pytest.raises(ValueError, match="2 class names"):
        plot_confusion_matrix(np.zeros((3, 3)), ["a", "b"])


@pytest.mark.parametrize("count", [5, 101])
def test_f1_bars_sorted_and_readable(count):
    rng = np.random.default_rng(1)
    f1 = rng.random(count)
    names = [f"{FOOD[i % len(FOOD)]}_{i}" for i in range(count)]
    figure = plot_per_class_f1(f1, names, support=np.full(count, 7))
    renderer = drawn(figure)
    axis = figure.axes[0]
    labels = [t.get_text() for t in axis.get_yticklabels()]
    # Bottom to top: best to worst.
    assert labels[0] == names[int(np.argmax(f1))].replace("_", " ")
    assert labels[-1] == names[int(np.argmin(f1))].replace("_", " ")
    widths = [p.get_width() for p in axis.patches]
    assert widths == sorted(widths, reverse=True)
    assert_no_overlap(axis.get_yticklabels(), renderer)


def test_training_curves_from_history_object_and_csv(tmp_path):
    history = keras.callbacks.History()
    history.history = {
        "loss": [1.0, 0.8, 0.7],
        "val_loss": [1.1, 0.9, 0.95],
        "accuracy": [0.4, 0.6, 0.7],
        "val_accuracy": [0.35, 0.5, 0.55],
        "learning_rate": [0.01, 0.01, 0.001],
    }
    figure = plot_training_curves(history)
    titles = [a.get_title() for a in figure.axes]
    assert titles == ["loss", "accuracy"]
    for axis in figure.axes:
        assert [t.get_text() for t in axis.get_legend().get_texts()] == ["train", "validation"]
        assert [len(line.get_xdata()) for line in axis.get_lines()] == [3, 3]
    np.testing.assert_allclose(figure.axes[0].get_lines()[1].get_ydata(), [1.1, 0.9, 0.95])
    path = tmp_path / "history.csv"
    path.write_text(
        "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.4,1.0,0.3,1.2\n1,0.6,0.8,0.5,1.0\n"
    )
    from_csv = plot_training_curves(path)
    np.testing.assert_allclose(from_csv.axes[1].get_lines()[0].get_ydata(), [0.4, 0.6])
    with pytest.raises(ValueError, match="no per-epoch values"):
        plot_training_curves({})


def test_reliability_and_comparison_figures():
    cal = calibration_bins([0.95, 0.85, 0.55, 0.35], [True, False, True, False], n_bins=5)
    figure = plot_reliability_diagram(cal)
    assert f"ECE {cal.ece:.3f}" in figure.axes[0].get_title()
    rows = [
        {"name": "step_1_baseline", "accuracy": 0.5, "top_k_accuracy": 0.9, "macro_f1": 0.4},
        {"name": "step 2", "accuracy": 0.7, "top_k_accuracy": 0.95, "macro_f1": 0.6},
    ]
    chart = plot_comparison(rows)
    heights = [p.get_height() for p in chart.axes[0].patches]
    assert heights == [0.5, 0.7, 0.9, 0.95, 0.4, 0.6]


def test_image_galleries():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 12, 12, 3)).astype("uint8")
    figure = plot_mistakes(
        images,
        ["baby_back_ribs"] * 5,
        ["pizza"] * 5,
        [0.97] * 5,
        files=["a/very_long_file_name_0123456789.jpg"] * 5,
    )
    titles = [a.get_title() for a in figure.axes if a.get_visible()]
    assert len(titles) == 5 and "true: baby back ribs" in titles[0] and "(97%)" in titles[0]
    filters = plot_filters(rng.normal(size=(10, 3, 3, 3)))
    assert len([a for a in filters.axes if a.get_visible()]) == 10
    maps = {"conv_1": rng.random((6, 6, 4)), "base/conv_2": rng.random((3, 3, 12))}
    feature = plot_feature_maps(maps, images[0], max_channels=5)
    assert len([a for a in feature.axes if a.get_visible()]) == 1 + 4 + 5
    cams = plot_grad_cam(images[:3], rng.random((3, 12, 12)), ["x"] * 3)
    assert len([a for a in cams.axes if a.get_visible()]) == 6
    with pytest.raises(ValueError, match="one heatmap per image"):
        plot_grad_cam(images[:3], rng.random((2, 12, 12)))


def test_no_pyplot_global_state():
    plot_per_class_f1([0.5], ["a"])
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []
