"""Tiny runs on one device or on two virtual CPU devices, printed as JSON.

Usage: XLA_FLAGS=--xla_force_host_platform_device_count=2 python data_parallel_script.py MODE

- ``single`` / ``parallel``: the first-epoch loss and validation accuracy of ``fv.train``
  (45 training images in batches of 8, 9 validation images: both splits end in a partial
  batch), and the final kernel.
- ``study``: steps 3 and 5 of a tiny study in mixed bfloat16 on every device (augmentation
  on the device, two-phase fine-tuning with its feature pass).
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
from harness import tiny_image_data, tiny_model  # noqa: E402

import foodvision as fv  # noqa: E402

mode = sys.argv[1]
if mode == "study":
    data = fv.load_synthetic(
        image_size=(40, 40), train_per_class=10, val_per_class=3, test_per_class=3, batch_size=4
    )
    profile = fv.StudyProfile(
        "tiny",
        scratch_image_size=32,
        transfer_image_size=32,
        batch_size=4,
        epochs={1: 1, 2: 1, 3: 2, 4: 1},
        head_epochs=1,
        finetune_epochs=1,
        transfer_augmentation="light",
        bootstrap_resamples=20,
    )
    result = fv.run_study(
        data,
        steps=[3, 5],
        out_dir=sys.argv[2],
        profile=profile,
        precision="mixed_bfloat16",
        distribution="data_parallel",
        verbose=0,
    )
    summary = result.summary
    print(
        json.dumps(
            {key: summary[key] for key in ("precision", "devices")}
            | {
                "accuracies": [step["test_accuracy"] for step in summary["steps"]],
                "batch": json.loads(
                    (Path(sys.argv[2]) / "step3_augmented" / "step.json").read_text()
                )["fingerprint"]["global_batch_size"],
            }
        )
    )
    sys.exit(0)

model = tiny_model(seed=3)
history = fv.train(
    model,
    tiny_image_data(per_class=15),
    epochs=1,
    optimizer="sgd",
    learning_rate=0.05,
    seed=0,
    verbose=0,
    distribution="data_parallel" if mode == "parallel" else None,
)
print(
    json.dumps(
        {
            "devices": len(jax.devices()),
            "loss": history.history["loss"][0],
            "val_accuracy": history.history["val_accuracy"][0],
            "kernel_sum": float(model.layers[-1].kernel.numpy().sum()),
        }
    )
)
