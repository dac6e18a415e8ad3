"""Crash safety of ``fv.train(checkpoint_dir=...)``: SIGKILL at random points, resume.

A child process (``kill_loop_script.py``) trains a tiny model; the parent kills it with
SIGKILL either after a random delay or, through a hook in the child, in the middle of a
checkpoint write (torn temporary file, complete but not renamed, renamed but the next
file not yet written). After every kill the checkpoint directory must be consistent;
the restarted child must continue from the last finished epoch and, in the end, finish
the run with a history of contiguous epochs.

``FOODVISION_KILL_TRIALS`` sets the number of kills (default 3, for CI speed);
``FOODVISION_KILL_SEED`` the seed of the random choices.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

SCRIPT = Path(__file__).with_name("kill_loop_script.py")
TESTS = Path(__file__).resolve().parents[1]
EPOCHS = 3
TRIALS = int(os.environ.get("FOODVISION_KILL_TRIALS", "3"))
SEED = int(os.environ.get("FOODVISION_KILL_SEED", "0"))
FILES = ("backup-best.keras", "history.csv", "state.npz", "latest.json", "best.keras", "run.json")
MOMENTS = ("torn", "before-rename", "after-rename")
TIMEOUT = 300


@dataclass
class Attempt:
    """One child process: how it was to be killed, and what happened."""

    plan: str
    resumed_from: int
    returncode: int | None = None
    events: list[tuple[str, str]] = field(default_factory=list)

    @property
    def killed(self) -> bool:
        """Whether the process died of SIGKILL."""
        return self.returncode == -signal.SIGKILL

    def landed(self) -> str:
        """Where the kill landed: the last thing the child logged."""
        if not self.events:
            return "before start (importing)"
        event, detail = self.events[-1]
        return f"after '{event} {detail}'" if detail else f"after '{event}'"


def choose_plan(rng: random.Random, number: int, fresh: bool) -> str:
    """Kill ``number``: ``timer:<event>:<seconds>`` (every third) or ``<moment>:<file>:<n>``.

    Timers count from the child's first ``start`` (imports done) or ``begin`` (first
    epoch started) event; hooks are described in ``kill_loop_script.py``.
    """
    if number % 3 == 1:
        return f"timer:{rng.choice(('start', 'begin'))}:{rng.uniform(0.0, 2.0):.2f}"
    files = FILES if fresh else FILES[:-1]  # run.json is only written by a fresh run
    kind = rng.choice(files)
    best = kind in ("backup-best.keras", "best.keras")  # written when the metric improves
    count = 1 if best or kind == "run.json" else rng.choice((1, 2))
    return f"{rng.choice(MOMENTS)}:{kind}:{count}"


def read_events(log: Path, pid: int) -> list[tuple[str, str]]:
    """The events the process ``pid`` logged, as ``(event, detail)``."""
    if not log.exists():
        return []
    events = []
    for line in log.read_text().splitlines():
        owner, _, rest = line.partition(" ")
        if owner == str(pid):
            event, _, detail = rest.partition(" ")
            events.append((event, detail))
    return events


def wait_for(event: str, log: Path, process: subprocess.Popen, limit: float = 120.0) -> None:
    """Wait until the child logs ``event`` (``start`` or ``begin``) or exits."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if any(logged == event for logged, _ in read_events(log, process.pid)):
            return
        time.sleep(0.02)


def run_child(directory: Path, log: Path, plan: str, resumed_from: int) -> Attempt:
    """Run the child once under ``plan``; return what happened."""
    env = {
        **os.environ,
        "KERAS_BACKEND": keras.backend.backend(),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("FOODVISION_KILL_AT", None)
    if not plan.startswith("timer:") and plan != "none":
        env["FOODVISION_KILL_AT"] = plan
    command = [sys.executable, str(SCRIPT), str(directory), str(EPOCHS), str(log)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if plan.startswith("timer:"):
        _, event, seconds = plan.split(":")
        wait_for(event, log, process)
        time.sleep(float(seconds))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
    output, _ = process.communicate(timeout=TIMEOUT)
    attempt = Attempt(plan, resumed_from, process.returncode, read_events(log, process.pid))
    assert attempt.killed or attempt.returncode == 0, f"{plan} failed:\n{output[-4000:]}"
    return attempt


def history_epochs(directory: Path) -> list[int]:
    """Epoch column of ``history.csv`` (empty when the file does not exist)."""
    path = directory / "history.csv"
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        assert all(value != "" for value in row.values()), f"incomplete row {row}"
    return [int(row["epoch"]) for row in rows]


def history_rows(directory: Path, epochs: int) -> list[dict]:
    """The raw rows of ``history.csv`` for the first ``epochs`` epochs."""
    with (directory / "history.csv").open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if int(row["epoch"]) < epochs]


def check_consistent(directory: Path) -> int:
    """Assert the checkpoint directory is usable; return the last finished epoch (0: none).

    ``latest.json`` parses and names a state file that loads with one array per saved
    variable and a best model that loads; ``history.csv`` holds epochs 0..n-1
    contiguous, n being that epoch (or one more: the history is written before the
    state); ``best.keras`` and ``run.json`` load when present (``best.keras`` may lag
    behind the backup's best model until the run resumes).
    """
    latest_path = directory / "backup" / "latest.json"
    finished = 0
    if latest_path.exists():
        latest = json.loads(latest_path.read_text())
        finished = int(latest["epoch"])
        state_file = directory / "backup" / latest["state"]
        assert state_file.is_file(), f"latest.json points to missing {state_file.name}"
        with np.load(state_file) as arrays:
            assert len(arrays.files) == len(latest["paths"]) > 0
        assert_loads(directory / "backup" / latest["best_file"])
    epochs = history_epochs(directory)
    assert epochs == list(range(len(epochs))), f"history epochs not contiguous: {epochs}"
    assert finished <= len(epochs) <= finished + 1, (len(epochs), finished)
    if (directory / "run.json").exists():
        assert json.loads((directory / "run.json").read_text())["parameters"] > 0
    if (directory / "best.keras").exists():
        assert_loads(directory / "best.keras")
    return finished


def assert_loads(path: Path) -> None:
    """``path`` is a complete .keras model."""
    assert path.is_file(), f"{path.name} is missing"
    assert keras.saving.load_model(path, safe_mode=True).count_params() > 0


def check_resumed(attempt: Attempt) -> None:
    """The child started at the last finished epoch and ran the following ones in order."""
    begun = [int(detail) for event, detail in attempt.events if event == "begin"]
    expected = list(range(attempt.resumed_from, attempt.resumed_from + len(begun)))
    assert begun == expected, f"{attempt.plan}: resumed at {attempt.resumed_from}, ran {begun}"


def check_finished(directory: Path, kept: dict[int, dict]) -> None:
    """The finished run: every epoch once, old rows kept, one state, no temporary files.

    ``best.keras`` is the backup's best model, of the epoch with the best
    ``val_accuracy`` in the history (the first of equal ones).
    """
    assert check_consistent(directory) == EPOCHS
    assert history_epochs(directory) == list(range(EPOCHS))
    rows = history_rows(directory, EPOCHS)
    for epoch, row in kept.items():
        assert rows[epoch] == row, f"row {epoch} changed on resume"
    latest = json.loads((directory / "backup" / "latest.json").read_text())
    scores = [float(row["val_accuracy"]) for row in rows]
    assert latest["best_file"] == f"best-{scores.index(max(scores)) + 1}.keras"
    best = directory / "best.keras"
    assert best.read_bytes() == (directory / "backup" / latest["best_file"]).read_bytes()
    assert [p.name for p in (directory / "backup").glob("state-*.npz")] == [f"state-{EPOCHS}.npz"]
    leftovers = [p.name for p in directory.rglob(".*") if ".tmp" in p.name]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def kill_loop(tmp_path: Path, trials: int, seed: int) -> list[Attempt]:
    """Kill and restart training runs until ``trials`` kills happened; check each step."""
    rng = random.Random(seed)
    attempts: list[Attempt] = []
    kills, run = 0, 0
    while kills < trials:
        run += 1
        directory, log = tmp_path / f"run{run}", tmp_path / f"run{run}.log"
        kept: dict[int, dict] = {}
        finished = 0
        while True:
            assert len(attempts) < 4 * trials + 8, "too many attempts without finishing"
            fresh = not directory.exists()
            plan = choose_plan(rng, kills, fresh) if kills < trials else "none"
            attempt = run_child(directory, log, plan, finished)
            attempts.append(attempt)
            check_resumed(attempt)
            if not attempt.killed:
                check_finished(directory, kept)
                break
            kills += 1
            finished = check_consistent(directory)
            if finished:
                kept.update(enumerate(history_rows(directory, finished)))
    return attempts


def describe(attempts: list[Attempt]) -> str:
    """One line per attempt, for the test output (``pytest -s``)."""
    lines = []
    for number, attempt in enumerate(attempts, 1):
        outcome = f"killed {attempt.landed()}" if attempt.killed else "finished"
        lines.append(
            f"{number:3d}  resumed at epoch {attempt.resumed_from}  plan {attempt.plan:28s} "
            f"{outcome}"
        )
    return "\n".join(lines)


def test_sigkill_at_random_points_always_resumes(tmp_path):
    attempts = kill_loop(tmp_path, TRIALS, SEED)
    print(f"\nkill loop: {TRIALS} kills, seed {SEED}, backend {keras.backend.backend()}")
    print(describe(attempts))
    assert sum(a.killed for a in attempts) == TRIALS
    # every kill was followed by a restart that resumed (checked in kill_loop) and the
    # last attempt finished the run
    assert not attempts[-1].killed
    hooked = [a for a in attempts if a.killed and not a.plan.startswith("timer")]
    assert all(a.events[-1][0] == "killed" for a in hooked)
