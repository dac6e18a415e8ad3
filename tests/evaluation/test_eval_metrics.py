"""Metrics against independent numpy computations on known predictions."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from foodvision.evaluation import calibration_bins, classification_metrics, evaluate
from foodvision.evaluation.make_report import evaluate_predictions
from foodvision.evaluation.metrics import to_probabilities


def random_predictions(n=60, k=4, seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, k)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = rng.integers(0, k, n)
    labels[:k] = np.arange(k)  # every class present
    return probs, labels


def hand_metrics(probs, labels, k):
    """Accuracy, confusion matrix and per-class scores computed from their definitions."""
    pred = probs.argmax(1)
    matrix = np.zeros((k, k), int)
    for t, p in zip(labels, pred):
        matrix[t, p] += 1
    tp = np.diag(matrix).astype(float)
    predicted = matrix.sum(0)
    actual = matrix.sum(1)
    precision = np.array([tp[i] / predicted[i] if predicted[i] else 0.0 for i in range(k)])
    recall = np.array([tp[i] / actual[i] if actual[i] else 0.0 for i in range(k)])
    f1 = np.array([2 * p * r / (p + r) if p + r else 0.0 for p, r in zip(precision, recall)])
    return (pred == labels).mean(), matrix, precision, recall, f1, actual


def test_metrics_match_hand_computation():
    probs, labels = random_predictions()
    m = classification_metrics(labels, probs, top_k=2)
    accuracy, matrix, precision, recall, f1, support = hand_metrics(probs, labels, 4)
    assert m.accuracy == pytest.approx(accuracy)
    np.testing.assert_array_equal(m.confusion_matrix, matrix)
    assert m.confusion_matrix.dtype.kind == "i"
    np.testing.assert_allclose(m.confusion_matrix_normalized, matrix / matrix.sum(1, keepdims=True))
    np.testing.assert_allclose(m.precision, precision)
    np.testing.assert_allclose(m.recall, recall)
    np.testing.assert_allclose(m.f1, f1)
    np.testing.assert_array_equal(m.support, support)
    top2 = np.argsort(-probs, axis=1)[:, :2]
    assert m.top_k == 2
    assert m.top_k_accuracy == pytest.approx(
        np.mean([label in top for label, top in zip(labels, top2)])
    )
    loss = -np.mean(np.log(probs[np.arange(len(labels)), labels]))
    assert m.loss == pytest.approx(loss)


def test_top_k_is_clipped_to_number_of_classes():
    probs, labels = random_predictions(k=3)
    m = classification_metrics(labels, probs, top_k=5)
    assert m.top_k == 3 and m.top_k_accuracy == 1.0
    binary, labels2 = random_predictions(k=2)
    assert classification_metrics(labels2, binary, top_k=5).top_k_accuracy == 1.0


def test_class_without_samples_or_predictions_scores_zero():
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0]])
    m = classification_metrics([0, 1, 1], probs)
    assert m.support.tolist() == [1, 2, 0]
    assert m.precision.tolist() == [0.5, 1.0, 0.0]
    assert m.recall.tolist() == [1.0, 0.5, 0.0]
    assert m.confusion_matrix_normalized[2].tolist() == [0.0, 0.0, 0.0]


def test_expected_calibration_error_hand_case():
    confidences = [0.95, 0.85, 0.85, 0.55, 0.35]
    correct = [True, False, True, True, False]
    cal = calibration_bins(confidences, correct, n_bins=5)
    # bins (0.8, 1]: 3 images, accuracy 2/3, confidence 0.8833; (0.4, 0.6]: 1, 1.0, 0.55;
    # (0.2, 0.4]: 1, 0.0, 0.35.
    expected = 3 / 5 * abs(2 / 3 - 2.65 / 3) + 1 / 5 * 0.45 + 1 / 5 * 0.35
    assert cal.ece == pytest.approx(expected)
    assert cal.ece == pytest.approx(0.29)
    assert cal.bin_counts.tolist() == [0, 1, 1, 0, 3]
    assert cal.mce == pytest.approx(0.45)
    assert np.isnan(cal.bin_accuracy[0]) and cal.bin_accuracy[4] == pytest.approx(2 / 3)
    np.testing.assert_allclose(cal.bin_edges, [0, 0.2, 0.4, 0.6, 0.8, 1.0])


def test_calibration_bins_are_closed_on_the_right():
    cal = calibration_bins([0.8, 0.0, 1.0], [True, True, False], n_bins=5)
    assert cal.bin_counts.tolist() == [1, 0, 0, 1, 1]


def test_perfectly_calibrated_predictions_have_zero_ece():
    cal = calibration_bins([0.75] * 4, [True, True, True, False], n_bins=10)
    assert cal.ece == pytest.approx(0.0)


def test_logits_are_detected_and_softmaxed():
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(to_probabilities(logits), expected)
    np.testing.assert_allclose(to_probabilities(expected), expected)


def dense_model(weights, bias, activation="softmax"):
    inputs = keras.Input((weights.shape[0],))
    outputs = keras.layers.Dense(weights.shape[1], activation=activation)(inputs)
    model = keras.Model(inputs, outputs, name="fixed_dense")
    model.set_weights([weights, bias])
    return model


@pytest.fixture(scope="module")
def fixed_problem():
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(4, 3)).astype("float32")
    bias = np.array([0.1, -0.2, 0.05], dtype="float32")
    x = rng.normal(size=(37, 4)).astype("float32")
    labels = rng.integers(0, 3, 37).astype("int32")
    logits = x @ weights + bias
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return weights, bias, x, labels, probs


@pytest.mark.parametrize("one_hot", [False, True])
def test_evaluate_fixed_model_on_tf_dataset(fixed_problem, one_hot):
    weights, bias, x, labels, probs = fixed_problem
    y = np.eye(3, dtype="float32")[labels] if one_hot else labels
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    files = [f"img_{i}.jpg" for i in range(len(x))]
    report = evaluate(dense_model(weights, bias), dataset, ["a", "b", "c"], files=files)
    np.testing.assert_allclose(report.probabilities, probs, rtol=1e-4, atol=1e-6)
    accuracy, matrix, precision, recall, f1, support = hand_metrics(probs, labels, 3)
    assert report.accuracy == pytest.approx(accuracy)
    np.testing.assert_array_equal(report.confusion_matrix, matrix)
    for i, name in enumerate("abc"):
        row = report.per_class[name]
        assert row["precision"] == pytest.approx(precision[i])
        assert row["recall"] == pytest.approx(recall[i])
        assert row["f1"] == pytest.approx(f1[i])
        assert row["support"] == support[i]
    assert report.macro_avg["f1"] == pytest.approx(f1.mean())
    # The model has no convolution layer: the report says so instead of failing.
    assert "no convolution layer" in report.interpretation.note
    # Worst mistakes: wrong predictions by decreasing confidence, with their files.
    pred, conf = probs.argmax(1), probs.max(1)
    wrong = np.flatnonzero(pred != labels)
    expected = wrong[np.argsort(-conf[wrong], kind="stable")]
    assert [m.index for m in report.mistakes] == expected[:16].tolist()
    assert report.mistakes[0].file == files[expected[0]]
    assert report.mistakes[0].confidence == pytest.approx(conf[expected[0]], rel=1e-5)
    assert set(report.mistake_images) == {m.index for m in report.mistakes}
    np.testing.assert_allclose(report.mistake_images[expected[0]], x[expected[0]])


def test_evaluate_logit_model_and_array_pair(fixed_problem):
    weights, bias, x, labels, probs = fixed_problem
    model = dense_model(weights, bias, activation=None)
    report = evaluate(model, (x, labels), ["a", "b", "c"], interpret=False, top_k=2)
    np.testing.assert_allclose(report.probabilities, probs, rtol=1e-4, atol=1e-6)
    assert report.interpretation is None
    true = np.clip(probs[np.arange(37), labels], 1e-7, 1.0)  # clipped like Keras's loss
    assert report.loss == pytest.approx(-np.mean(np.log(true)), 1e-4)


def test_evaluate_predictions_without_a_model():
    report = evaluate_predictions([[0.9, 0.1], [0.3, 0.7], [0.2, 0.8]], [0, 0, 1], ["x", "y"])
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.confusion_matrix.tolist() == [[1, 1], [0, 1]]
    assert [m.index for m in report.mistakes] == [1]


def test_class_names_must_match_model_outputs(fixed_problem):
    weights, bias, x, labels, _ = fixed_problem
    with pytest.raises(ValueError, match=r"class_names has 2 names but the model outputs 3"):
        evaluate(dense_model(weights, bias), (x, labels), ["a", "b"])


def test_empty_or_missing_dataset_is_a_clear_error(fixed_problem):
    weights, bias, *_ = fixed_problem
    empty = tf.data.Dataset.from_tensor_slices(
        (np.zeros((0, 4), "float32"), np.zeros((0,), "int32"))
    ).batch(4)
    with pytest.raises(ValueError, match="yielded no images"):
        evaluate(dense_model(weights, bias), empty, ["a", "b", "c"])
    with pytest.raises(ValueError, match="dataset is None"):
        evaluate(dense_model(weights, bias), None, ["a", "b", "c"])


def test_files_must_match_number_of_images(fixed_problem):
    weights, bias, x, labels, _ = fixed_problem
    with pytest.raises(ValueError, match=r"files has 2 paths but there are 37 images"):
        evaluate(dense_model(weights, bias), (x, labels), ["a", "b", "c"], files=["p", "q"])


def test_labels_out_of_range_are_reported():
    with pytest.raises(ValueError, match="class indices in 0..1"):
        evaluate_predictions([[0.5, 0.5]], [4], ["x", "y"])


class ArrayBatches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]


def test_list_of_batches_and_py_dataset(fixed_problem):
    weights, bias, x, labels, probs = fixed_problem
    model = dense_model(weights, bias)
    batches = [(x[:20], labels[:20]), (x[20:], labels[20:])]
    for dataset in (batches, ArrayBatches(x, labels, 10)):
        report = evaluate(model, dataset, ["a", "b", "c"], interpret=False)
        np.testing.assert_array_equal(report.labels, labels)
        np.testing.assert_allclose(report.probabilities, probs, rtol=1e-4, atol=1e-6)
