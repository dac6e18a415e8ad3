"""Reload models saved under JAX on the backend named by KERAS_BACKEND; run augmentations.

Usage: python backend_reload_script.py WORKDIR

WORKDIR holds ``<name>.keras`` files and ``inputs.npz`` (``images_<name>`` per model,
``aug_images``/``aug_labels`` for the augmentation presets). The script writes
``outputs_<backend>.npz`` with, per model, the predictions (``pred_<name>``) and the
features at its last block boundary (``feat_<name>``), and, per preset, the augmented
batch (``aug_<preset>_images``/``_labels``; only when ``inputs.npz`` holds ``aug_images``).
Run by ``test_serialization_backends.py`` and ``tests/reliability/test_determinism.py``, one
subprocess per backend, because the backend must be set before keras is imported.
"""

import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import foodvision as fv


def augmentation_outputs(images: np.ndarray, labels: np.ndarray) -> dict:
    """Each preset (seed 0) applied in tf.data to one batch: ``aug_<preset>_images/labels``."""
    outputs = {}
    for preset in fv.AUGMENTATION_PRESETS:
        dataset = tf.data.Dataset.from_tensors((images, labels))
        augmented = fv.apply_augmentation(dataset, fv.augmentation(preset, seed=0), num_classes=4)
        [(x, y)] = [(x.numpy(), y.numpy()) for x, y in augmented]
        outputs[f"aug_{preset}_images"] = x
        outputs[f"aug_{preset}_labels"] = y
    return outputs


def main(workdir: Path) -> None:
    inputs = np.load(workdir / "inputs.npz")
    outputs = {}
    for path in sorted(workdir.glob("*.keras")):
        name = path.stem
        model = keras.saving.load_model(path, safe_mode=True)
        images = inputs[f"images_{name}"]
        outputs[f"pred_{name}"] = model.predict(images, verbose=0)
        prefix, _ = fv.split_at(model, fv.block_boundaries(model)[-1])
        outputs[f"feat_{name}"] = prefix.predict(images, verbose=0)
        print(f"{keras.backend.backend()}: {name} ok", flush=True)
    if "aug_images" in inputs:
        outputs.update(augmentation_outputs(inputs["aug_images"], inputs["aug_labels"]))
    np.savez(workdir / f"outputs_{keras.backend.backend()}.npz", **outputs)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
