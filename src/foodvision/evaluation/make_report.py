"""Make an :class:`EvaluationReport`: from a model and a dataset, or from predictions.

``evaluate`` runs the model over the dataset (keeping only the images the report shows),
scores the predictions, lists the most confident mistakes and looks inside the model
(filters, feature maps, Grad-CAM); ``evaluate_predictions`` does the same from
probabilities and labels, with no model.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from foodvision.base.log import Progress, get_logger
from foodvision.base.shapes import model_num_classes
from foodvision.evaluation.history import history_dict
from foodvision.evaluation.metrics import (
    classification_metrics,
    cross_entropy,
    labels_to_indices,
    to_probabilities,
)
from foodvision.evaluation.report import EvaluationReport, Interpretation, Mistake
from foodvision.models.tta import predict_tta, resolve_tta

GRAD_CAM_EXAMPLES = 8


@dataclass
class Predictions:
    """Outputs of a model over a dataset.

    Attributes:
        probabilities: ``(N, classes)``.
        labels: ``(N,)`` true class indices.
        images: ``{index: image}`` kept for the report: the most confident mistakes and
            the first correctly classified images.
        tta_probabilities: ``(N, classes)`` from the mean output over the test-time
            augmentation views, or ``None`` without them.

    """

    probabilities: np.ndarray
    labels: np.ndarray
    images: dict[int, np.ndarray] = field(default_factory=dict)
    tta_probabilities: np.ndarray | None = None


def _check_class_names(class_names: Any) -> tuple[str, ...]:
    if class_names is None or isinstance(class_names, str):
        raise ValueError(
            "class_names must be a sequence of class names (for example data.class_names), "
            f"got {class_names!r}"
        )
    names = tuple(str(n) for n in class_names)
    if not names:
        raise ValueError("class_names is empty; pass the class names, e.g. data.class_names")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"class_names has duplicates: {', '.join(duplicates)}")
    return names


def _batches(dataset: Any) -> Iterable[Any]:
    if (
        isinstance(dataset, tuple)
        and len(dataset) == 2
        and all(isinstance(part, np.ndarray) for part in dataset)
    ):
        images, labels = dataset
        return [(images[i : i + 64], labels[i : i + 64]) for i in range(0, len(images), 64)]
    if hasattr(dataset, "as_numpy_iterator"):
        return dataset.as_numpy_iterator()
    if (
        hasattr(dataset, "__getitem__")
        and hasattr(dataset, "__len__")
        and hasattr(dataset, "on_epoch_end")
    ):  # keras.utils.PyDataset
        return (dataset[i] for i in range(len(dataset)))
    if isinstance(dataset, Iterable):
        return dataset
    raise ValueError(
        f"dataset must yield (images, labels) batches (a tf.data.Dataset, a PyDataset or an "
        f"iterable), got {type(dataset).__name__}"
    )


def predict_dataset(
    model: Any,
    dataset: Any,
    *,
    num_classes: int | None = None,
    from_logits: bool | None = None,
    max_mistakes: int = 16,
    keep_correct: int = GRAD_CAM_EXAMPLES,
    outputs: np.ndarray | None = None,
    tta: Any = False,
) -> Predictions:
    """Run ``model`` over every ``(images, labels)`` batch of ``dataset``.

    Only the images the report shows are kept: the ``max_mistakes`` most confident wrong
    predictions and the first ``keep_correct`` right ones (plus the first image).

    Args:
        model: A Keras classifier with one ``(batch, classes)`` output.
        dataset: ``tf.data.Dataset``, ``keras.utils.PyDataset``, an iterable of batches or
            an ``(images, labels)`` pair of arrays. Labels may be indices or one-hot.
        num_classes: Expected number of classes (checked against the outputs).
        from_logits: Whether outputs are logits; ``None`` decides from the first batch.
        max_mistakes: Mistakes whose images are kept.
        keep_correct: Correct predictions whose images are kept.
        outputs: The model's outputs for every image, in dataset order, when they are
            already known; the model is then not run (the dataset gives labels and images).
        tta: Test-time augmentation views (see :func:`foodvision.models.tta.resolve_tta`):
            also gives the probabilities of the mean output over them.

    Raises:
        ValueError: If the dataset is empty, its batches are not ``(images, labels)`` or
            ``outputs`` does not have one row per image.

    """
    if dataset is None:
        raise ValueError(
            "dataset is None; pass a split that exists (for example data.test; it is None "
            "when the data source has no test split)"
        )
    given = None if outputs is None else np.asarray(outputs)
    probabilities, labels = [], []
    mistakes: list[tuple[float, int, np.ndarray]] = []  # min-heap of (confidence, -index)
    kept: dict[int, np.ndarray] = {}
    correct_kept = 0
    seen = 0
    views = resolve_tta(tta)
    tta_probabilities = []
    batches = _batch_count(dataset)
    progress = Progress("evaluating", total=None, enabled=batches is None or batches >= 4)
    for batch in _batches(dataset):
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError(
                "each dataset element must be an (images, labels) pair; got "
                f"{type(batch).__name__}. Evaluate a labelled split such as data.test"
            )
        images, batch_labels = np.asarray(batch[0]), np.asarray(batch[1])
        if images.ndim == 3:
            images, batch_labels = images[None], batch_labels[None]
        if len(images) == 0:
            continue
        outputs = _batch_outputs(model, images, given, seen, num_classes)
        if from_logits is None:  # decided once, on the first batch
            from_logits = not (outputs.min() >= 0 and np.allclose(outputs.sum(1), 1, atol=1e-3))
        probs = to_probabilities(outputs, from_logits)
        if len(views) > 1:
            tta_probabilities.append(
                to_probabilities(predict_tta(model, images, views, outputs), from_logits)
            )
        if batches and progress.total is None:  # every batch but the last is this full
            progress.total = batches * len(images)
        progress.add(len(images))
        indices = labels_to_indices(batch_labels, outputs.shape[1])
        if len(indices) != len(probs):
            raise ValueError(f"a batch has {len(probs)} images but {len(indices)} labels")
        predicted = probs.argmax(axis=1)
        for offset in range(len(probs)):
            index = seen + offset
            confidence = float(probs[offset, predicted[offset]])
            if index == 0:
                kept[0] = images[0]
            if predicted[offset] != indices[offset]:
                if max_mistakes > 0:
                    item = (confidence, -index, images[offset])
                    if len(mistakes) < max_mistakes:
                        heapq.heappush(mistakes, item)
                    elif item[:2] > mistakes[0][:2]:
                        heapq.heapreplace(mistakes, item)
            elif correct_kept < keep_correct:
                kept[index] = images[offset]
                correct_kept += 1
        probabilities.append(probs)
        labels.append(indices)
        seen += len(probs)
    if seen == 0:
        raise ValueError(
            "the dataset yielded no images; check that the split is not empty (for example "
            "that the folder has images for it, or that test_split > 0)"
        )
    if given is not None and len(given) != seen:
        raise ValueError(f"outputs has {len(given)} rows but the dataset has {seen} images")
    progress.close()
    for _, negative_index, image in mistakes:
        kept[-negative_index] = image
    return Predictions(
        np.concatenate(probabilities),
        np.concatenate(labels),
        kept,
        np.concatenate(tta_probabilities) if tta_probabilities else None,
    )


def _batch_outputs(
    model: Any, images: np.ndarray, given: np.ndarray | None, seen: int, num_classes: int | None
) -> np.ndarray:
    """The model's outputs for one batch (or the given rows of it), checked."""
    if given is None:
        outputs = np.asarray(model.predict_on_batch(images))
    else:
        outputs = given[seen : seen + len(images)]
        if len(outputs) != len(images):
            raise ValueError(f"outputs has {len(given)} rows but the dataset has more images")
    if outputs.ndim != 2:
        raise ValueError(
            f"the model outputs shape {outputs.shape}; evaluate() needs (batch, classes)"
        )
    if num_classes is not None and outputs.shape[1] != num_classes:
        raise ValueError(
            f"the model outputs {outputs.shape[1]} classes but {num_classes} class names "
            "were given; pass the class names the model was trained with"
        )
    return outputs


def _batch_count(dataset: Any) -> int | None:
    """Batches in ``dataset`` when it says (``len`` or tf.data cardinality), else ``None``."""
    if isinstance(dataset, tuple):  # (images, labels) arrays, cut in batches of 64
        return -(-len(dataset[0]) // 64) if len(dataset) == 2 else None
    try:
        count = int(len(dataset))
    except TypeError:
        count = None
    if count is None and hasattr(dataset, "cardinality"):
        count = int(dataset.cardinality())
    return count if count is not None and count > 0 else None


def _tta_summary(predictions: Predictions, views: Sequence[str]) -> dict[str, Any]:
    """Accuracy and mean cross-entropy of the test-time augmentation probabilities."""
    probabilities = predictions.tta_probabilities
    labels = predictions.labels
    return {
        "views": list(views),
        "accuracy": float(np.mean(probabilities.argmax(axis=1) == labels)),
        "loss": cross_entropy(labels, probabilities),
        "probabilities": probabilities,
    }


def worst_mistakes(
    labels: np.ndarray,
    probabilities: np.ndarray,
    class_names: Sequence[str],
    files: Sequence[str] | None = None,
    limit: int = 16,
) -> tuple[Mistake, ...]:
    """The ``limit`` wrong predictions with the highest confidence (ties: dataset order)."""
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    order = wrong[np.lexsort((wrong, -confidence[wrong]))][:limit]
    return tuple(
        Mistake(
            index=int(i),
            true_index=int(labels[i]),
            predicted_index=int(predicted[i]),
            true_name=class_names[labels[i]],
            predicted_name=class_names[predicted[i]],
            confidence=float(confidence[i]),
            true_probability=float(probabilities[i, labels[i]]),
            file=str(files[i]) if files else None,
        )
        for i in order
    )


def evaluate_predictions(
    probabilities: Any,
    labels: Any,
    class_names: Sequence[str],
    *,
    history: Any = None,
    files: Sequence[str] | None = None,
    images: Mapping[int, Any] | Sequence[Any] | None = None,
    top_k: int = 5,
    n_bins: int = 15,
    max_mistakes: int = 16,
    from_logits: bool | None = False,
    title: str = "Evaluation report",
    model_name: str | None = None,
    backend: str | None = None,
    interpretation: Interpretation | None = None,
) -> EvaluationReport:
    """Build a report from predicted probabilities and true labels (no model needed).

    Args:
        probabilities: ``(N, classes)`` probabilities (or logits with ``from_logits=True``).
        labels: ``(N,)`` class indices or ``(N, classes)`` one-hot rows.
        class_names: One name per class.
        history: Training history (``keras.callbacks.History``, dict or history.csv).
        files: File path of each image, in the same order.
        images: Images by dataset index (a mapping or an array), for the mistakes gallery.
        top_k: ``k`` of the top-k accuracy.
        n_bins: Bins of the reliability diagram.
        max_mistakes: Number of worst mistakes listed.
        from_logits: Apply a softmax first (``None``: when rows are not probabilities).
        title: Page title.
        model_name: Shown on the page.
        backend: Shown on the page.
        interpretation: Filters, feature maps and Grad-CAM to show.

    Raises:
        ValueError: On mismatched lengths or class counts.

    Example:
        >>> report = evaluate_predictions([[0.9, 0.1], [0.3, 0.7]], [0, 0], ["cat", "dog"])
        >>> report.accuracy, report.confusion_matrix.tolist()
        (0.5, [[1, 1], [0, 0]])

    """
    names = _check_class_names(class_names)
    probs = to_probabilities(np.asarray(probabilities, dtype="float64"), from_logits)
    if probs.ndim != 2 or probs.shape[1] != len(names):
        raise ValueError(
            f"probabilities have shape {probs.shape} but there are {len(names)} class names; "
            "they must be (N, number of classes)"
        )
    indices = labels_to_indices(labels, len(names))
    if len(indices) != len(probs):
        raise ValueError(f"{len(probs)} predictions but {len(indices)} labels")
    if len(indices) == 0:
        raise ValueError("no predictions to evaluate; the dataset was empty")
    file_list = None if files is None else tuple(str(f) for f in files)
    if file_list is not None and len(file_list) == 0:
        file_list = None
    if file_list is not None and len(file_list) != len(indices):
        raise ValueError(
            f"files has {len(file_list)} paths but there are {len(indices)} images; pass the "
            "paths of the same split in dataset order (for example data.files['test'] with "
            "data.test)"
        )
    metrics = classification_metrics(indices, probs, top_k=top_k, n_bins=n_bins)
    mistakes = worst_mistakes(indices, probs, names, file_list, max_mistakes)
    kept: dict[int, np.ndarray] = {}
    if images is not None:
        for m in mistakes:
            try:
                kept[m.index] = np.asarray(images[m.index])
            except (KeyError, IndexError):
                continue
    values = history_dict(history)
    return EvaluationReport(
        class_names=names,
        labels=indices,
        probabilities=probs,
        metrics=metrics,
        files=file_list,
        history=values or None,
        mistakes=mistakes,
        mistake_images=kept,
        interpretation=interpretation,
        title=title,
        model_name=model_name,
        backend=backend,
    )


def interpret_model(
    model: Any, predictions: Predictions, mistakes: Sequence[Mistake], class_names: Sequence[str]
) -> Interpretation:
    """Filters, feature maps of the first image and Grad-CAM of mistakes and right answers.

    A model without convolution layers (or that cannot be entered) gives an
    :class:`Interpretation` whose ``note`` says why.
    """
    from foodvision.interpret import (
        conv_layer_paths,
        default_target_layer,
        feature_maps,
        first_conv2d_path,
        first_layer_filters,
        grad_cam,
    )

    try:
        if not conv_layer_paths(model):
            return Interpretation(note="The model has no convolution layer to look into.")
    except ValueError as err:
        return Interpretation(note=f"The model cannot be looked into: {err}")
    notes = []
    filters = None
    layer = first_conv2d_path(model)
    if layer is None:
        notes.append("The model has no Conv2D layer, so no filters are shown.")
    else:
        filters = first_layer_filters(model, layer)
    image = predictions.images.get(0)
    maps: dict[str, np.ndarray] = {}
    if image is not None:
        maps = feature_maps(model, image)
    chosen = [m.index for m in mistakes if m.index in predictions.images][: GRAD_CAM_EXAMPLES // 2]
    others = [i for i in sorted(predictions.images) if i not in {m.index for m in mistakes}]
    chosen += others[: GRAD_CAM_EXAMPLES - len(chosen)]
    heatmaps = cam_images = None
    titles: list[str] = []
    target = default_target_layer(model)
    if chosen:
        cam_images = np.stack([predictions.images[i] for i in chosen])
        heatmaps = grad_cam(model, cam_images, layer_name=target)
        for i in chosen:
            probs = predictions.probabilities[i]
            true, guess = int(predictions.labels[i]), int(probs.argmax())
            mark = "right" if true == guess else "WRONG"
            titles.append(
                f"{mark}: {class_names[guess]} ({probs[guess]:.0%})\ntrue: {class_names[true]}"
            )
    return Interpretation(
        filters=filters,
        filters_layer=layer,
        feature_image=image,
        feature_maps=maps,
        grad_cam_layer=target,
        grad_cam_images=cam_images,
        grad_cam_heatmaps=heatmaps,
        grad_cam_titles=tuple(titles),
        note=" ".join(notes),
    )


def evaluate(
    model: Any,
    dataset: Any,
    class_names: Sequence[str],
    history: Any = None,
    files: Sequence[str] | None = None,
    *,
    top_k: int = 5,
    n_bins: int = 15,
    max_mistakes: int = 16,
    interpret: bool = True,
    from_logits: bool | None = None,
    title: str | None = None,
    outputs: Any = None,
    tta: Any = False,
) -> EvaluationReport:
    """Evaluate a classifier on a labelled dataset.

    Args:
        model: A Keras classifier with one ``(batch, classes)`` output (probabilities, or
            logits: a softmax is applied when rows are not probabilities).
        dataset: Batches of ``(images, labels)`` (``data.test``), labels as indices or
            one-hot.
        class_names: One name per model output (``data.class_names``).
        history: Training history to plot (``keras.callbacks.History``, its dict, or a
            ``history.csv`` path).
        files: Paths of the images in dataset order (``data.files["test"]``), listed with
            the predictions and mistakes.
        top_k: ``k`` of the top-k accuracy (at most the number of classes).
        n_bins: Confidence bins of the calibration.
        max_mistakes: How many of the most confident mistakes to list and show.
        interpret: Also compute first-layer filters, feature maps and Grad-CAM overlays
            (skipped, with a note, for a model without convolution layers).
        from_logits: Force (``True``) or forbid (``False``) the softmax.
        title: Page title (default: ``"Evaluation of <model name>"``).
        outputs: The model's outputs for every image of ``dataset``, in order, when they
            are already known (for example from cached features, see
            :class:`~foodvision.FineTuneResult`); the model then only runs for the
            interpretation figures.
        tta: Also score the mean output over test-time augmentation views (``True``:
            the image and its mirror; or view names such as ``"flip,zoom"``, see
            :func:`foodvision.models.tta.resolve_tta`). The report keeps the plain
            numbers and shows these beside them (:attr:`EvaluationReport.tta`).

    Returns:
        An :class:`EvaluationReport`.

    Raises:
        ValueError: If ``class_names`` does not match the model's outputs, the dataset is
            empty or ``None``, or ``files`` does not match the number of images.

    Example:
        >>> report = evaluate(model, data.test, data.class_names, history=history,
        ...                   files=data.files.get("test"))  # doctest: +SKIP
        >>> report.save("runs/step1/report")  # doctest: +SKIP

    """
    import keras

    names = _check_class_names(class_names)
    num_outputs = model_num_classes(model)
    if num_outputs is not None and num_outputs != len(names):
        raise ValueError(
            f"class_names has {len(names)} names but the model outputs {num_outputs} classes; "
            "pass the class names the model was trained with (for example data.class_names)"
        )
    predictions = predict_dataset(
        model,
        dataset,
        num_classes=len(names),
        from_logits=from_logits,
        max_mistakes=max_mistakes,
        outputs=outputs,
        tta=tta,
    )
    report = evaluate_predictions(
        predictions.probabilities,
        predictions.labels,
        names,
        history=history,
        files=files,
        images=predictions.images,
        top_k=top_k,
        n_bins=n_bins,
        max_mistakes=max_mistakes,
        title=title or f"Evaluation of {model.name}",
        model_name=getattr(model, "name", None),
        backend=keras.backend.backend(),
    )
    if predictions.tta_probabilities is not None:
        report = replace(report, tta=_tta_summary(predictions, resolve_tta(tta)))
    if not interpret:
        return report
    get_logger(__name__).info("looking inside the model: filters, feature maps, Grad-CAM")
    try:
        interpretation = interpret_model(model, predictions, report.mistakes, names)
    except ValueError as err:  # the numbers stand; say why the model was not looked into
        interpretation = Interpretation(note=f"Filters, feature maps and Grad-CAM skipped: {err}")
    return replace(report, interpretation=interpretation)
