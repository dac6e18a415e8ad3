"""Train a tiny model with a checkpoint dir; optionally SIGKILL itself after an epoch.

Usage: python resume_script.py CHECKPOINT_DIR EPOCHS [KILL_AFTER_EPOCH]
Each epoch that starts appends its number to CHECKPOINT_DIR/../epochs_run.txt.
"""

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
from harness import tiny_image_data, tiny_model  # noqa: E402

import foodvision as fv  # noqa: E402

directory, epochs = Path(sys.argv[1]), int(sys.argv[2])
kill_after = int(sys.argv[3]) if len(sys.argv) > 3 else None
log = directory.parent / "epochs_run.txt"


class Recorder(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        with log.open("a") as handle:
            handle.write(f"{epoch}\n")

    def on_epoch_end(self, epoch, logs=None):
        if kill_after is not None and epoch + 1 == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)


data = tiny_image_data()
model = tiny_model(dropout=0.2)
fv.train(
    model, data, epochs=epochs, checkpoint_dir=directory, seed=0, callbacks=[Recorder()], verbose=0
)
print("done")
