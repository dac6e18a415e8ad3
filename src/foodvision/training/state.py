"""The training state a resumed run needs: weights, optimizer, epoch, callback state.

Layout of a checkpoint directory ``D``::

    D/run.json               what model this directory belongs to (checked on resume)
    D/history.csv            one row per finished epoch, whole across resumes
    D/best.keras             the best model so far (``keras.saving.load_model``-able)
    D/backup/latest.json     points at the newest complete state file and best model
    D/backup/state-<epoch>.npz   model + optimizer variables after that epoch
    D/backup/best-<epoch>.keras  the best model, as of the epoch in its name

Every file is written atomically (temporary file, fsync, rename) and ``latest.json``
is written after the files it names, so a kill at any moment leaves a consistent,
loadable state. ``best.keras`` is published from the backup (a hard link, else a copy)
only after ``latest.json`` names it, and published again on resume: a run killed
between writing a better model and committing its epoch never keeps a ``best.keras``
from an epoch that the history does not hold.
"""

from __future__ import annotations

import collections
import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from foodvision.base.files import (
    remove_temporaries,
    write_atomic,
    write_npz_atomic,
    write_text_atomic,
)
from foodvision.base.jsonable import json_safe
from foodvision.base.log import get_logger

RUN_FILE = "run.json"
HISTORY_FILE = "history.csv"
BEST_FILE = "best.keras"
BACKUP_DIR = "backup"
LATEST_FILE = "latest.json"
AVERAGE_FILE = "average.npz"
SETTINGS_FILE = "settings.json"
ON_CHANGE = ("error", "restart")
"""What resuming does when the training settings changed: refuse, or start over."""


def model_fingerprint(model: Any) -> dict:
    """Describe a model's architecture: name, input/output shapes, variable shapes.

    Two models with the same fingerprint can exchange training state.
    """
    layers = [type(layer).__name__ for layer in model.layers]
    shapes = layers + [f"{tuple(v.shape)}" for v in model.weights]
    digest = hashlib.sha256("\n".join(shapes).encode()).hexdigest()[:16]
    return {
        "name": model.name,
        "input_shape": _shape(getattr(model, "input_shape", None)),
        "output_shape": _shape(getattr(model, "output_shape", None)),
        "parameters": int(sum(np.prod(v.shape) for v in model.weights)),
        "weights_digest": digest,
    }


def _shape(shape: Any) -> Any:
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [list(s) for s in shape]
    return list(shape) if shape is not None else None


def check_run_file(directory: Path, model: Any, write: bool = True) -> None:
    """Write ``run.json`` for a new directory, or check it matches ``model``.

    Args:
        directory: The checkpoint directory.
        model: The model being trained.
        write: Write the file when it is missing (``False``: only check one that exists).

    Raises:
        ValueError: If the directory holds a run of a different model.

    """
    current = model_fingerprint(model)
    path = directory / RUN_FILE
    if path.exists():
        saved = json.loads(path.read_text())
        if saved.get("weights_digest") != current["weights_digest"]:
            raise ValueError(
                f"checkpoint_dir {str(directory)!r} holds a run of a different model "
                f"({saved.get('name')}, {saved.get('parameters'):,} parameters, output "
                f"{saved.get('output_shape')}) than {current['name']} "
                f"({current['parameters']:,} parameters, output {current['output_shape']}); "
                "use another directory, or pass resume=False to start this one over"
            )
        return
    if write:
        directory.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(current, indent=2) + "\n")


def training_variables(model: Any) -> list[Any]:
    """List the variables a resumed run must restore: the model's, then the optimizer's."""
    optimizer_variables = list(model.optimizer.variables) if model.optimizer else []
    return list(model.variables) + optimizer_variables


def save_best(directory: Path, model: Any, epoch: int) -> str:
    """Save ``model`` as the backup's best model after ``epoch`` epochs; return its name.

    It becomes ``best.keras`` once :func:`save_state` commits the epoch.
    """
    name = f"best-{epoch}.keras"
    write_atomic(directory / BACKUP_DIR / name, model.save, suffix=".keras")
    return name


def publish_best(directory: Path, name: str | None) -> None:
    """Make ``best.keras`` the backup's best model ``name`` (a hard link, else a copy)."""
    if not name:
        return
    source = directory / BACKUP_DIR / name
    if not source.is_file():
        return

    def link(tmp: str) -> None:
        os.remove(tmp)
        try:
            os.link(source, tmp)
        except OSError:  # a file system without hard links
            shutil.copyfile(source, tmp)

    write_atomic(directory / BEST_FILE, link, suffix=".keras")


def save_state(directory: Path, model: Any, epoch: int, extra: dict) -> None:
    """Save the state after ``epoch`` finished epochs, atomically, then point to it.

    ``extra["best_file"]`` names the best model in the backup (see :func:`save_best`);
    when it is missing, the one of the previous state is kept. After ``latest.json``
    is written, ``best.keras`` is published and older backup files are removed.
    """
    backup = directory / BACKUP_DIR
    backup.mkdir(parents=True, exist_ok=True)
    variables = training_variables(model)
    arrays = {f"v{i}": np.asarray(v.numpy()) for i, v in enumerate(variables)}
    state_name = f"state-{epoch}.npz"
    write_npz_atomic(backup / state_name, arrays)
    best_file = extra.get("best_file") or read_latest(directory).get("best_file")
    latest = {
        "epoch": epoch,
        "state": state_name,
        "paths": [v.path for v in variables],
        **extra,
        "best_file": best_file,
    }
    write_text_atomic(backup / LATEST_FILE, json.dumps(latest, indent=2) + "\n")
    publish_best(directory, best_file)
    _remove_unreferenced(backup, {state_name, best_file})


def _remove_unreferenced(backup: Path, keep: set[str | None]) -> None:
    """Delete the state and best-model files of earlier epochs."""
    for pattern in ("state-*.npz", "best-*.keras"):
        for old in backup.glob(pattern):
            if old.name not in keep:
                old.unlink(missing_ok=True)


def read_latest(directory: Path) -> dict:
    """The contents of ``backup/latest.json``; ``{}`` when there is none yet."""
    path = directory / BACKUP_DIR / LATEST_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def load_state(directory: Path, model: Any, write: bool = True) -> dict | None:
    """Restore the newest saved state into ``model``; ``None`` when there is none.

    The optimizer is built first so that its variables exist. Temporary files left by
    an interrupted write (a killed run) are removed first, and ``best.keras`` is
    published again from the backup (a run killed after saving a better model but
    before committing its epoch leaves a ``best.keras`` of an epoch that is redone).
    With ``write=False`` (a process that does not write the folder) it only reads.

    Raises:
        ValueError: If the saved variables do not match the model's.

    """
    if write:
        for folder in (directory, directory / BACKUP_DIR):
            remove_temporaries(folder)
    latest_path = directory / BACKUP_DIR / LATEST_FILE
    if not latest_path.exists():
        return None
    latest = json.loads(latest_path.read_text())
    if write:
        publish_best(directory, latest.get("best_file"))
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    variables = training_variables(model)
    with np.load(directory / BACKUP_DIR / latest["state"]) as arrays:
        saved_paths = latest.get("paths") or [f"v{i}" for i in range(len(arrays.files))]
        order = match_saved_variables(saved_paths, variables, directory)
        for variable, index in zip(variables, order):
            value = arrays[f"v{index}"]
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"the backup in {str(directory)!r} holds {saved_paths[index]!r} with shape "
                    f"{tuple(value.shape)}, but the model's has {tuple(variable.shape)}; was "
                    "the model changed? Use another checkpoint_dir or resume=False"
                )
            variable.assign(value)
    return latest


_AUTO_NUMBER = re.compile(r"_\d+(?=[_/]|$)")


def variable_key(path: str) -> str:
    """A variable's path without Keras's automatic ``_<n>`` name numbers.

    Names such as ``adam_1``, ``conv2d_5`` or ``seed_generator_5`` depend on how many
    objects of the kind the process made before (and optimizer slots repeat their
    layer's name); the key is the same in every process.

    Example:
        >>> variable_key("adam_1/conv2d_5_kernel_momentum")
        'adam/conv2d_kernel_momentum'
    """
    return _AUTO_NUMBER.sub("", path)


def match_saved_variables(
    saved_paths: list[str], variables: list[Any], directory: Path | str = "."
) -> list[int]:
    """For each variable, the index of the saved array with its path.

    Paths are compared by :func:`variable_key`; variables whose keys are equal are
    matched in order. Backups of older versions without paths (``v0``, ``v1``...) are
    matched by position.

    Raises:
        ValueError: Some variable has no saved value, or a saved value no variable,
            naming the first of them.
    """
    if all(re.fullmatch(r"v\d+", path) for path in saved_paths):  # no paths recorded
        if len(saved_paths) != len(variables):
            raise ValueError(
                f"the backup in {str(directory)!r} has {len(saved_paths)} variables but the "
                f"model and optimizer have {len(variables)}; was the optimizer changed? Use "
                "another checkpoint_dir or resume=False"
            )
        return list(range(len(variables)))
    queues: dict[str, collections.deque[int]] = collections.defaultdict(collections.deque)
    for index, path in enumerate(saved_paths):
        queues[variable_key(path)].append(index)
    order, missing = [], []
    for variable in variables:
        queue = queues.get(variable_key(variable.path))
        if queue:
            order.append(queue.popleft())
        else:
            missing.append(variable.path)
    unexpected = [saved_paths[i] for queue in queues.values() for i in queue]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} variable(s) not in it (first: {missing[0]!r})")
        if unexpected:
            parts.append(
                f"{len(unexpected)} saved value(s) the model lacks (first: {unexpected[0]!r})"
            )
        raise ValueError(
            f"the backup in {str(directory)!r} does not match the model and optimizer: "
            f"{'; '.join(parts)}. Was the model or the optimizer changed? Use another "
            "checkpoint_dir or resume=False"
        )
    return order


def read_history(directory: Path, epochs: int) -> list[dict]:
    """Rows of ``history.csv`` for the first ``epochs`` epochs (later rows are dropped)."""
    path = directory / HISTORY_FILE
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        rows = [
            {k: (int(v) if k == "epoch" else float(v)) for k, v in row.items() if v != ""}
            for row in csv.DictReader(handle)
        ]
    return [row for row in rows if row["epoch"] < epochs]


def write_history(directory: Path, rows: list[dict]) -> None:
    """Rewrite ``history.csv`` with ``rows`` atomically (columns: epoch, then sorted)."""
    columns = ["epoch"] + sorted({k for row in rows for k in row} - {"epoch"})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(v) for k, v in row.items()})
    write_text_atomic(directory / HISTORY_FILE, buffer.getvalue())


def _csv_value(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return value


def changed_settings(saved: dict, current: dict) -> dict[str, tuple[Any, Any]]:
    """``{name: (then, now)}`` for the settings that differ (epochs only under cosine)."""
    names = set(saved) | set(current)
    if current.get("schedule") != "cosine" and saved.get("schedule") != "cosine":
        names.discard("epochs")  # more epochs extend a constant or plateau run
    return {
        name: (saved.get(name), current.get(name))
        for name in sorted(names)
        if saved.get(name) != current.get(name)
    }


def check_settings(directory: Path, settings: dict, on_change: str) -> bool:
    """Check that a run being resumed keeps the training settings it began with.

    Returns:
        ``True`` to resume (no run yet, or the same settings); ``False`` when they
        changed and ``on_change="restart"`` (a log line says what changed; the caller
        starts over).

    Raises:
        ValueError: They changed and ``on_change="error"``, or ``on_change`` is unknown.
    """
    if on_change not in ON_CHANGE:
        raise ValueError(f"on_change must be one of {', '.join(ON_CHANGE)}, got {on_change!r}")
    changed = settings_changes(directory, settings)
    if not changed:
        return True
    what = "; ".join(f"{k}: {then!r} -> {now!r}" for k, (then, now) in changed.items())
    if on_change == "error":
        raise ValueError(
            f"the run in {str(directory)!r} began with other training settings ({what}); "
            "resume it with its own settings, pass on_change='restart' (foodvision train "
            "--on-change restart) to start it over, or use another directory"
        )
    logger = get_logger(__name__)
    logger.warning("%s: training settings changed (%s): starting over", directory, what)
    return False


def began_with(directory: Path, settings: dict) -> bool:
    """Whether ``directory`` holds a saved epoch of a run begun with ``settings``.

    A run that would resume from it (see :func:`check_settings`) rather than start over.
    """
    saved = (directory / SETTINGS_FILE).exists() and bool(read_latest(directory))
    return saved and not settings_changes(directory, settings)


def finished_with(directory: Path, settings: dict, epochs: int) -> bool:
    """Whether ``directory`` holds a run begun with ``settings`` that has ended.

    It ran ``epochs`` epochs, or early stopping ended it.
    """
    if not began_with(directory, settings):
        return False
    latest = read_latest(directory)
    return bool(latest.get("stopped_early")) or int(latest["epoch"]) >= epochs


def settings_changes(directory: Path, settings: dict) -> dict[str, tuple[Any, Any]]:
    """How ``settings`` differ from the saved run's (``{}``: none, or no saved run)."""
    path = directory / SETTINGS_FILE
    if not path.exists() or not (directory / BACKUP_DIR / LATEST_FILE).exists():
        return {}
    return changed_settings(json.loads(path.read_text()), _plain(settings))


def write_settings(directory: Path, settings: dict) -> None:
    """Record the training settings of the run in ``directory`` (see :func:`check_settings`)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomic(directory / SETTINGS_FILE, json.dumps(_plain(settings), indent=2) + "\n")


def _plain(settings: dict) -> dict:
    """Settings as they read back from JSON (tuples as lists, keys as strings)."""
    return json.loads(json.dumps(json_safe(settings)))


def reset_directory(directory: Path) -> None:
    """Remove the files of a previous run (for ``resume=False``)."""
    for name in (RUN_FILE, HISTORY_FILE, BEST_FILE, AVERAGE_FILE, SETTINGS_FILE):
        (directory / name).unlink(missing_ok=True)
    backup = directory / BACKUP_DIR
    if backup.is_dir():
        for path in backup.iterdir():
            path.unlink()
        backup.rmdir()


def fill_history(history: Any, rows: list[dict]) -> Any:
    """Give a ``keras.callbacks.History`` the epochs of ``rows`` (whole across resumes)."""
    history.history = history_as_dict(rows)
    history.epoch = [row["epoch"] for row in rows]
    return history


def history_as_dict(rows: list[dict]) -> dict[str, list[float]]:
    """``{"loss": [...], ...}`` from history rows, like ``keras.callbacks.History``."""
    keys = sorted({k for row in rows for k in row} - {"epoch"})
    return {k: [row.get(k, float("nan")) for row in rows] for k in keys}
