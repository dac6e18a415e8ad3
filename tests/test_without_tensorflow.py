"""On the JAX backend nothing of the library needs TensorFlow: a run with it blocked.

The subprocess makes ``import tensorflow`` fail (as on a machine set up for JAX alone),
then loads a Food-101 folder (the array loader is picked for lack of TensorFlow), trains
with augmentation on the device, evaluates, and runs a study step of each kind (from
scratch, search, VGG16 fine-tuning) on a tiny profile.
"""

import os
import subprocess
import sys
from pathlib import Path

from harness import make_food101

SCRIPT = r"""
import importlib.abc
import sys


class BlockTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tensorboard"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, BlockTensorFlow())

import foodvision as fv

food = fv.load_food101(sys.argv[1], image_size=(32, 32), batch_size=8, validation_split=0.25)
assert type(food.train).__name__ == "ArraySplit", type(food.train)
model = fv.build_model("baseline_cnn", num_classes=food.num_classes, input_shape=(32, 32, 3))
fv.train(model, food, epochs=1, augmentation="strong", verbose=0, seed=0)
print("food101 test accuracy", fv.evaluate(model, food.test, class_names=food.class_names).accuracy)
data = fv.load_synthetic(image_size=(40, 40), train_per_class=12, val_per_class=4,
                         test_per_class=4, batch_size=8)
profile = fv.StudyProfile(
    "tiny", scratch_image_size=32, transfer_image_size=32, batch_size=8,
    epochs={1: 1, 2: 1, 3: 1, 4: 1}, tuning_trials=1, confirm_top=0, head_epochs=1,
    finetune_epochs=1, transfer_augmentation="light", bootstrap_resamples=20,
)
result = fv.run_study(data, steps=[1, 4, 5], out_dir=sys.argv[2], profile=profile, verbose=0)
print("steps", [step["step"] for step in result.summary["steps"]])
print("tensorflow modules", sorted(m for m in sys.modules if m.startswith("tensorflow")))
"""


def test_food101_training_evaluation_and_the_study_run_without_tensorflow(
    tmp_path: Path, weights_env
):
    root = make_food101(tmp_path / "food-101")
    env = {**os.environ, "KERAS_BACKEND": "jax"}  # weights_env set FOODVISION_WEIGHTS_DIR
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root), str(tmp_path / "study")],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "steps [1, 4, 5]" in done.stdout
    assert "tensorflow modules []" in done.stdout
    assert (tmp_path / "study" / "study.html").is_file()
