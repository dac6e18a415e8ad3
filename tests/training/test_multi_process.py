"""Two processes on 127.0.0.1 (JAX's Gloo CPU collectives) train the model one process does."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import keras
import pytest

SCRIPT = Path(__file__).parent / "multi_process_script.py"

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX's runtime")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(checkpoint: Path, epochs: int, processes: int, kill_after: int | None = None):
    """Start the processes, wait for all; return (exit codes, their JSON outputs)."""
    port = _free_port()
    runs = []
    for index in range(processes):
        env = {**os.environ, "KERAS_BACKEND": "jax"}
        env.pop("XLA_FLAGS", None)  # one CPU device per process
        if processes > 1:
            env.update(
                KERAS_DISTRIBUTION_JOB_ADDRESSES=f"127.0.0.1:{port}",
                KERAS_DISTRIBUTION_NUM_PROCESSES=str(processes),
                KERAS_DISTRIBUTION_PROCESS_ID=str(index),
            )
        args = [sys.executable, str(SCRIPT), str(checkpoint), str(epochs)]
        if kill_after is not None:
            args.append(str(kill_after))
        runs.append(
            subprocess.Popen(
                args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    codes, outputs = [], []
    for run in runs:
        out, err = run.communicate(timeout=600)
        codes.append(run.returncode)
        lines = out.strip().splitlines()
        outputs.append(json.loads(lines[-1]) if run.returncode == 0 and lines else err[-3000:])
    return codes, outputs


def test_two_processes_train_as_one_and_resume_after_a_kill(tmp_path):
    codes, (alone,) = _run(tmp_path / "alone", epochs=3, processes=1)
    assert codes == [0], alone

    codes, _ = _run(tmp_path / "pair", epochs=3, processes=2, kill_after=2)
    assert codes == [3, 3]  # both killed after committing 2 epochs
    latest = json.loads((tmp_path / "pair" / "backup" / "latest.json").read_text())
    assert latest["epoch"] == 2

    codes, outputs = _run(tmp_path / "pair", epochs=3, processes=2)
    assert codes == [0, 0], outputs
    chief, worker = outputs
    assert (chief["processes"], chief["devices"], chief["chief"]) == (2, 2, True)
    assert worker["chief"] is False
    # same global batches, same model: the first epoch's loss within 1e-4 of one process
    assert abs(chief["loss"][0] - alone["loss"][0]) <= 1e-4 * abs(alone["loss"][0])
    assert len(chief["loss"]) == 3  # the resumed run's history holds all three epochs
    assert chief["kernel_sum"] == pytest.approx(alone["kernel_sum"], abs=1e-4)
    assert worker["kernel_sum"] == pytest.approx(chief["kernel_sum"], abs=1e-6)
    assert chief["val_accuracy"][-1] == pytest.approx(alone["val_accuracy"][-1])
