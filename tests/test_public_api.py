"""The public API: ``fv.<name>`` for every name of ``__all__``, and no name ever dropped."""

import subprocess
import sys

import foodvision as fv

RELEASED = (
    "AUGMENTATION_PRESETS DEFAULT_SEARCH_SPACE EvaluationReport FineTuneResult ImageData "
    "McNemarResult ModelSpec PROFILES ReportComparison STEPS StudyProfile StudyResult "
    "TuningResult WEIGHTS_DIR_ENV WeightAverage WeightsMismatchError WeightsUnavailableError "
    "apply_augmentation augment_fn augmentation block_boundaries bootstrap_accuracy_ci "
    "build_model compare_reports download_food101 evaluate evaluate_predictions feature_maps "
    "fine_tune first_layer_filters frozen_boundary get_model_spec grad_cam list_models "
    "load_data load_food101 load_image_folder load_model load_synthetic mcnemar_test "
    "mixes_labels overlay_heatmap plot_confusion_matrix plot_feature_maps plot_filters "
    "plot_grad_cam plot_mistakes plot_per_class_f1 plot_reliability_diagram "
    "plot_training_curves predict_files register_model resolve_weights run_study "
    "set_trainable_blocks split_at study_plan"
).split()
"""``fv.__all__`` of version 0.1.0: each of these names stays."""


def test_no_released_name_is_dropped_and_every_name_resolves():
    assert set(RELEASED) <= set(fv.__all__)
    assert fv.__all__ == sorted(fv.__all__)
    for name in fv.__all__:
        assert getattr(fv, name) is not None, name
        assert name in dir(fv)


def test_importing_foodvision_loads_no_backend_and_sets_none():
    code = (
        "import os, sys, foodvision as fv; fv.__version__;"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules),"
        " 'KERAS_BACKEND' in os.environ)"
    )
    env_without = {"PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env_without
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "False"]
