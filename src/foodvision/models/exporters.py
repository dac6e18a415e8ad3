"""Export a model for serving: ONNX, TensorFlow SavedModel or LiteRT, with Keras's ``export``.

The conversion runs on the TensorFlow backend (``model.export`` with ``tf2onnx`` for
ONNX and TensorFlow's converters for SavedModel and LiteRT): a model of another backend
is saved to a temporary ``.keras`` file and exported by a TensorFlow-backend process
(``python -m foodvision.models.exporters``). The result takes what the Keras model takes
(raw 0..255 RGB, ``(batch, height, width, 3)``, float32) and gives its probabilities.
The class names and input facts go with it: inside the ONNX file's metadata
(``foodvision`` key), as ``foodvision.json`` in the SavedModel folder, and as
``<name>.foodvision.json`` beside the ``.tflite`` file.

Needs the optional dependencies: ``pip install "foodvision[export]"``.

Example:
    >>> fv.export("runs/x/model.keras", "runs/x/model.onnx")  # doctest: +SKIP
    PosixPath('runs/x/model.onnx')
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

EXPORT_FORMATS = {"onnx": "onnx", "saved_model": "tf_saved_model", "litert": "litert"}
"""foodvision's format names -> ``keras.Model.export``'s."""

_NEEDS = {"onnx": ("tf2onnx", "onnx"), "saved_model": (), "litert": ()}

FACTS_FILE = "foodvision.json"


def export(
    model: Any, path: str | os.PathLike, format: str = "onnx", *, verbose: bool = False
) -> Path:
    """Export ``model`` (a ``keras.Model`` or ``.keras`` file) to ``path`` in ``format``.

    Args:
        model: The model, or the path of its ``.keras`` file.
        path: The ``.onnx`` file, SavedModel folder or ``.tflite`` file to write.
        format: ``"onnx"``, ``"saved_model"`` or ``"litert"``.
        verbose: Let the converters print their logs.

    Returns:
        ``path``.

    Raises:
        FileNotFoundError: No ``.keras`` file at ``model``'s path.
        ValueError: An unknown format, or a path that is not a readable ``.keras`` file.
        ImportError: TensorFlow, or for ONNX ``tf2onnx`` and ``onnx``, is not installed.
        RuntimeError: The conversion failed (with the converter's last lines).

    Example:
        >>> fv.export(model, "model.onnx", format="onnx")  # doctest: +SKIP
    """
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    target = Path(path)
    _check_target(target, format)
    _check_installed(format)
    if isinstance(model, (str, os.PathLike)):
        from foodvision.models.saving import check_model_file

        check_model_file(model)  # a clear error here, not from the converter's process
    target.parent.mkdir(parents=True, exist_ok=True)
    import keras

    from foodvision.models.model_file import model_facts, save_model
    from foodvision.models.saving import load_model

    if keras.backend.backend() == "tensorflow":
        if isinstance(model, (str, os.PathLike)):
            model = load_model(model, compile=False)
        _export_here(model, target, format, verbose)
        _write_facts(model_facts(model), target, format)
        return target
    with tempfile.TemporaryDirectory() as scratch:
        source = model
        if not isinstance(model, (str, os.PathLike)):
            source = Path(scratch) / "model.keras"
            save_model(model, source, card=False)
        _export_elsewhere(Path(source), target, format, verbose)
    return target


def _check_target(target: Path, format: str) -> None:
    """Refuse an output path the format cannot take, before any conversion."""
    if format == "litert" and target.suffix != ".tflite":
        raise ValueError(f"a LiteRT model is a .tflite file, got {str(target)!r}")
    if format == "onnx" and target.suffix != ".onnx":
        raise ValueError(f"an ONNX model is a .onnx file, got {str(target)!r}")
    if format == "saved_model" and target.is_file():
        raise ValueError(f"a SavedModel is a folder, but {str(target)!r} is a file")


def _check_installed(format: str) -> None:
    missing = [name for name in ("tensorflow", *_NEEDS[format]) if not _installed(name)]
    if missing:
        raise ImportError(
            f'exporting to {format} needs {", ".join(missing)}: pip install "foodvision[export]"'
        )


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _export_here(model: Any, target: Path, format: str, verbose: bool) -> None:
    """Run ``model.export`` on this (TensorFlow-backend) process."""
    import numpy as np

    from foodvision.base.shapes import model_image_size

    size = model_image_size(model)
    if size is not None:  # Keras exports only models that were called once
        model(np.zeros((1, *size, 3), np.float32))
    if target.exists() and format == "saved_model":
        shutil.rmtree(target)
    model.export(str(target), format=EXPORT_FORMATS[format], verbose=verbose)


def _export_elsewhere(source: Path, target: Path, format: str, verbose: bool) -> None:
    """Export the ``.keras`` file ``source`` in a TensorFlow-backend process."""
    env = {
        **os.environ,
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CUDA_VISIBLE_DEVICES": "",  # the conversion needs no GPU: leave it to this process
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),  # this process's foodvision
    }
    command = [
        sys.executable,
        "-m",
        "foodvision.models.exporters",
        str(source),
        str(target),
        format,
    ]
    if verbose:
        command.append("--verbose")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"exporting {source} to {format} failed:\n{tail}")


def _write_facts(facts: Any, target: Path, format: str) -> None:
    """Put the class names and input facts with the exported model."""
    if facts is None:
        return
    if format == "onnx":
        import onnx

        exported = onnx.load(str(target), load_external_data=False)
        entry = exported.metadata_props.add()
        entry.key, entry.value = "foodvision", facts.to_json()
        onnx.save(exported, str(target))
    elif format == "saved_model":
        (target / FACTS_FILE).write_text(facts.to_json())
    else:
        target.with_name(f"{target.stem}.{FACTS_FILE}").write_text(facts.to_json())


def _main(argv: list[str]) -> int:
    """``python -m foodvision.models.exporters MODEL.keras TARGET FORMAT [--verbose]``."""
    from foodvision.models.model_file import model_facts
    from foodvision.models.saving import load_model

    source, target, format = argv[:3]
    model = load_model(source, compile=False)
    _export_here(model, Path(target), format, "--verbose" in argv)
    _write_facts(model_facts(model), Path(target), format)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
