"""One process of a (possibly multi-process) data-parallel run of ``fv.train``, as JSON.

Usage: python multi_process_script.py CHECKPOINT_DIR EPOCHS [KILL_AFTER_EPOCHS]

With the ``KERAS_DISTRIBUTION_*`` variables set, the process joins the others (Gloo
collectives on CPUs) and trains data-parallel; without them it trains alone on the same
45 training images in global batches of 8 (9 validation images). ``KILL_AFTER_EPOCHS``
ends the process abruptly once that many epochs are committed.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import foodvision as fv  # noqa: E402

processes = fv.initialize_processes()  # before anything runs on JAX

import keras  # noqa: E402
import numpy as np  # noqa: E402
from harness import tiny_model  # noqa: E402

checkpoint, epochs = sys.argv[1], int(sys.argv[2])
kill_after = int(sys.argv[3]) if len(sys.argv) > 3 else None
rng = np.random.default_rng(0)
labels = np.arange(54) % 3
images = np.clip(labels[:, None, None, None] * 90 + rng.normal(0, 30, (54, 8, 8, 3)), 0, 255)
images = images.astype(np.uint8)


class Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if kill_after is not None and epoch + 1 == kill_after:
            os._exit(3)


model = tiny_model(seed=3)
history = fv.train(
    model,
    (images[:45], labels[:45]),
    epochs=epochs,
    batch_size=8,
    validation_data=(images[45:], labels[45:]),
    optimizer="sgd",
    learning_rate=0.05,
    seed=0,
    verbose=0,
    checkpoint_dir=checkpoint,
    distribution="data_parallel" if processes > 1 else None,
    callbacks=[Kill()],
)
print(
    json.dumps(
        {
            "processes": processes,
            "devices": len(keras.distribution.list_devices()),
            "chief": fv.is_chief(),
            "loss": history.history["loss"],
            "val_accuracy": history.history["val_accuracy"],
            "kernel_sum": float(np.sum(model.layers[-1].get_weights()[0])),
        }
    )
)
