"""Run the backend benchmark: every case on every backend, each in its own subprocess.

Example:
    >>> from foodvision.apps.bench.runner import run_benchmark  # doctest: +SKIP
    >>> payload = run_benchmark(["jax", "tensorflow"], quick=True)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from foodvision.apps.bench.cases import BenchCase, benchmark_cases
from foodvision.base.backends import BACKENDS, choose_backend, installed
from foodvision.base.system import machine, usable_cores, versions

JAX_DATA_PARALLEL = "jax-dp"
"""Pseudo-backend: JAX with one XLA host device per CPU core and data parallelism."""


def data_parallel_devices(batch_size: int, cores: int | None = None) -> int:
    """Host devices for ``jax-dp``: the most, up to the core count, that divide the batch.

    Example:
        >>> data_parallel_devices(32, cores=6), data_parallel_devices(16, cores=2)
        (4, 2)
    """
    cores = cores or usable_cores()
    return max(d for d in range(1, min(cores, batch_size) + 1) if batch_size % d == 0)


VARIANTS = (*BACKENDS, JAX_DATA_PARALLEL)
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


def _environment(variant: str, batch_size: int) -> dict[str, str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["KERAS_BACKEND"] = "jax" if variant == JAX_DATA_PARALLEL else variant
    if variant == JAX_DATA_PARALLEL:
        devices = data_parallel_devices(batch_size)
        flag = f"--xla_force_host_platform_device_count={devices}"
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {flag}".strip()
    return env


def run_case(
    variant: str, case: BenchCase, timed_batches: int, precision: str, timeout: float
) -> dict[str, Any]:
    """Time ``case`` on ``variant`` in a fresh Python process; errors become a row."""
    request = {
        "case": case.to_dict(),
        "timed_batches": timed_batches,
        "precision": precision,
        "data_parallel": variant == JAX_DATA_PARALLEL,
    }
    command = [sys.executable, "-m", "foodvision.apps.bench.worker", json.dumps(request)]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            env=_environment(variant, case.batch_size),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"name": case.name, "backend": variant, "error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        output = (done.stderr or done.stdout).strip().splitlines()
        errors = [line for line in output if "Error" in line or "error" in line]
        last = (errors or output or ["no output"])[-1]
        message = f"exit status {done.returncode}: {last[:300]}"
        return {"name": case.name, "backend": variant, "error": message}
    result = json.loads(lines[-1][len("RESULT ") :])
    result["backend"] = variant
    result["process_s"] = time.perf_counter() - start
    return result


def run_benchmark(
    backends: Sequence[str] = VARIANTS,
    *,
    quick: bool = False,
    cases: Sequence[BenchCase] | None = None,
    timed_batches: int | None = None,
    precision: str = "float32",
    timeout: float = 1800.0,
    verbose: bool = True,
) -> dict[str, Any]:
    """Time every case on every backend and return the results payload.

    Args:
        backends: Backends (and ``"jax-dp"``) to run; those not installed are
            listed under ``"skipped"``.
        quick: Fewer cases and timed batches (a few minutes on a 2-core CPU).
        cases: Cases to run instead of :func:`~foodvision.apps.bench.cases.benchmark_cases`.
        timed_batches: Steps of each of a case's two timed epochs (default 3 quick, 10
            otherwise).
        precision: ``"float32"`` or a mixed policy (for GPUs).
        timeout: Seconds allowed per (backend, case) process.
        verbose: Print one line per finished row.

    Returns:
        ``{"machine", "versions", "settings", "auto_backend", "rows", "skipped"}``.
    """
    unknown = [b for b in backends if b not in VARIANTS]
    if unknown or precision not in PRECISIONS:
        raise ValueError(
            f"unknown backend(s) {unknown} or precision {precision!r}; backends: "
            f"{', '.join(VARIANTS)}; precisions: {', '.join(PRECISIONS)}"
        )
    cases = list(cases) if cases is not None else benchmark_cases(quick)
    batches = timed_batches if timed_batches is not None else (3 if quick else 10)
    if batches < 1:
        raise ValueError(f"timed_batches must be >= 1, got {batches}")
    usable = [b for b in backends if installed("jax" if b == JAX_DATA_PARALLEL else b)]
    rows = []
    for case in cases:
        for variant in usable:
            row = run_case(variant, case, batches, precision, timeout)
            rows.append(row)
            if verbose:
                print(_row_line(row), flush=True)
    return {
        "benchmark": "backends",
        "machine": machine(),
        "versions": versions(),
        "settings": {"quick": quick, "timed_batches": batches, "precision": precision},
        "auto_backend": choose_backend("auto").name,
        "rows": rows,
        "skipped": [b for b in backends if b not in usable],
    }


def _row_line(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"{row['name']:<32} {row['backend']:<11} error: {row['error']}"
    return (
        f"{row['name']:<32} {row['backend']:<11} train {row['train']['images_per_second']:8.1f} "
        f"img/s  infer {row['inference']['images_per_second']:8.1f} img/s  "
        f"first step {row['first_step_s']:6.1f} s  peak {row['peak_rss_mb'] or 0:6.0f} MB"
    )
