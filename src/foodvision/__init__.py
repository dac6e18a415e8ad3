"""foodvision: image classification with Keras 3 on JAX, TensorFlow or PyTorch.

Importing foodvision never sets ``KERAS_BACKEND`` and does not import Keras: the public
names below are loaded on first use, so the backend can still be chosen after
``import foodvision`` (:func:`choose_backend` applies the ``foodvision`` command's rule).

The package has three layers (``docs/design.md``): a *base* of small helpers
(:mod:`foodvision.base`), the *library* (``data``, ``models``, ``augment``, ``layers``,
``training``, ``evaluation``, ``interpret``, ``predict``) and the *applications*
(:mod:`foodvision.apps`: the command, the study, the benchmark runner).

Example:
    >>> import foodvision as fv
    >>> data = fv.load_synthetic(image_size=(64, 64), seed=0)  # doctest: +SKIP
    >>> model = fv.build_model("baseline_cnn", num_classes=5,
    ...                        input_shape=(64, 64, 3))  # doctest: +SKIP
    >>> history = fv.train(model, data, epochs=3)  # doctest: +SKIP
    >>> report = fv.evaluate(model, data.test, class_names=data.class_names)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from foodvision.base.system import package_version

__version__ = package_version("foodvision")

_EXPORTS: dict[str, tuple[str, ...]] = {
    "foodvision.data": (
        "ImageData",
        "download_food101",
        "join_train_and_val",
        "load_data",
        "load_food101",
        "load_image_folder",
        "load_synthetic",
    ),
    "foodvision.models": (
        "ModelFacts",
        "ModelSpec",
        "block_boundaries",
        "block_rate_factors",
        "build_model",
        "describe_model",
        "ensemble_models",
        "export",
        "frozen_boundary",
        "get_model_spec",
        "list_models",
        "load_model",
        "model_facts",
        "register_model",
        "save_model",
        "set_trainable_blocks",
        "split_at",
    ),
    "foodvision.augment": (
        "AUGMENTATION_PRESETS",
        "AUGMENT_ON",
        "apply_augmentation",
        "augment_fn",
        "augmentation",
        "mixes_labels",
        "resolve_augment_on",
    ),
    "foodvision.models.weights": (
        "WEIGHTS_DIR_ENV",
        "WeightsMismatchError",
        "WeightsUnavailableError",
        "resolve_weights",
    ),
    "foodvision.training": (
        "FineTuneResult",
        "WeightAverage",
        "fine_tune",
        "initialize_processes",
        "is_chief",
        "resolve_precision",
        "train",
        "use_compilation_cache",
    ),
    "foodvision.base.backends": ("choose_backend",),
    "foodvision.base.log": ("FoodvisionWarning",),
    "foodvision.apps.study.search": ("DEFAULT_SEARCH_SPACE", "TuningResult", "tune_cnn"),
    "foodvision.apps.study.plan": ("PROFILES", "STEPS", "StudyProfile", "study_plan"),
    "foodvision.apps.study.runner": ("StudyResult", "run_study"),
    "foodvision.predict": ("Prediction", "predict_files"),
    "foodvision.evaluation": (
        "EvaluationReport",
        "McNemarResult",
        "PairedDifference",
        "ReportComparison",
        "bootstrap_accuracy_ci",
        "compare_reports",
        "evaluate",
        "evaluate_predictions",
        "holm",
        "mcnemar_test",
        "paired_difference",
        "plot_confusion_matrix",
        "plot_feature_maps",
        "plot_filters",
        "plot_grad_cam",
        "plot_mistakes",
        "plot_per_class_f1",
        "plot_reliability_diagram",
        "plot_training_curves",
    ),
    "foodvision.interpret": (
        "feature_maps",
        "first_layer_filters",
        "grad_cam",
        "overlay_heatmap",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'foodvision' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
