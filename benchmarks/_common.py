"""Helpers shared by the benchmark scripts: backend choice, machine facts, JSON output."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from foodvision.backend_policy import choose_backend  # noqa: E402  (imports no Keras)

_BACKEND = choose_backend(None)  # KERAS_BACKEND, else "auto"
os.environ["KERAS_BACKEND"] = _BACKEND.name
print(f"[benchmark] {_BACKEND.describe()}")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = os.environ.get(
    "FOODVISION_TEST_DATA", str(REPO.parent / "shared" / "datasets" / "food101-mini5")
)


def machine_info() -> dict:
    """Versions and hardware facts recorded with every result."""
    import keras
    import numpy
    import tensorflow as tf

    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "tensorflow": tf.__version__,
        "numpy": numpy.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    try:
        import jax

        info["jax"] = jax.__version__
        info["jax_devices"] = [str(d) for d in jax.devices()]
    except ImportError:
        pass
    return info


def save_json(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` as indented JSON, creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
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
