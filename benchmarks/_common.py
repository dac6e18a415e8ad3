"""Helpers shared by the benchmark scripts: backend choice, machine facts, JSON output."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import foodvision as fv  # noqa: E402  (imports no Keras)

_BACKEND = fv.choose_backend(None)  # KERAS_BACKEND, else "auto"
os.environ["KERAS_BACKEND"] = _BACKEND.name  # before Keras is imported
print(f"[benchmark] {_BACKEND.describe()}")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get(
    "FOODVISION_TEST_DATA", str(REPO.parent / "shared" / "datasets" / "food101-mini5")
)


def machine_info() -> dict:
    """Versions and hardware facts recorded with every result (no host names or paths)."""
    import keras

    from foodvision.base.system import machine, versions

    info = {
        **versions(),
        **machine(),
        "keras_backend": keras.backend.backend(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if keras.backend.backend() == "jax":
        import jax

        info["jax_devices"] = [str(d) for d in jax.devices()]
    return info


def save_json(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` as indented JSON, creating the folder.

    The write is atomic: a run killed while writing leaves the file as it was.
    """
    from foodvision.base.files import write_text_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(payload, indent=2) + "\n")
    return path


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table of ``rows`` restricted to ``columns``."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            cells.append(f"{value:.1f}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
