"""Training and inference speed of the study's models on each Keras backend.

The same as ``foodvision bench``; results go to ``benchmarks/results/`` by default.

Example:
    python benchmarks/backends.py --quick
    python benchmarks/backends.py --backends jax,tensorflow --precision mixed_bfloat16
"""

from __future__ import annotations

import sys
from pathlib import Path

from foodvision.apps.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if not any(a == "--out" or a.startswith("--out=") for a in args):
        args += ["--out", str(Path(__file__).parent / "results")]
    sys.exit(main(["bench", *args]))
