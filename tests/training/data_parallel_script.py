"""Print the first-epoch loss of a tiny run, single device or data parallel.

Usage: XLA_FLAGS=--xla_force_host_platform_device_count=2 python data_parallel_script.py MODE
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jax  # noqa: E402
from harness import tiny_image_data, tiny_model  # noqa: E402

import foodvision as fv  # noqa: E402

mode = sys.argv[1]
model = tiny_model(seed=3)
history = fv.train(
    model,
    tiny_image_data(per_class=20),
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
            "kernel_sum": float(model.layers[-1].kernel.numpy().sum()),
        }
    )
)
