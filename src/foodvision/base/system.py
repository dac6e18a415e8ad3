"""Facts about this machine and this process: memory, cores, peak memory, versions.

Nothing here imports Keras or a backend.

Example:
    >>> usable_cores() >= 1
    True
    >>> memory_budget(fraction=0.25) > 0
    True
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

FALLBACK_MEMORY_BYTES = 8 * 1024**3
"""Total memory assumed where the system does not say (8 GiB)."""

VERSIONED_PACKAGES = (
    "foodvision",
    "keras",
    "jax",
    "jaxlib",
    "tensorflow",
    "tensorflow-cpu",
    "torch",
    "numpy",
)
"""Packages whose versions :func:`versions` reports when they are installed."""


def package_version(package: str = "foodvision") -> str:
    """The installed version of ``package`` (``"0+unknown"`` when it is not installed).

    Example:
        >>> package_version("numpy") != "0+unknown"
        True
    """
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def total_memory_bytes() -> int:
    """Physical memory of this machine in bytes (:data:`FALLBACK_MEMORY_BYTES` if unknown)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MEMORY_BYTES


def memory_budget(fraction: float = 0.25) -> int:
    """``fraction`` of this machine's memory in bytes: what a cache may take.

    Example:
        >>> memory_budget(0.5) == total_memory_bytes() // 2
        True
    """
    return int(total_memory_bytes() * fraction)


def peak_memory_mb() -> float | None:
    """Peak resident memory of this process in MiB (``None`` where unknown, e.g. Windows).

    Example:
        >>> peak_memory_mb() is None or peak_memory_mb() > 0
        True
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def usable_cores() -> int:
    """CPU cores this process may run on (affinity and container limits included)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def versions(packages: tuple[str, ...] = VERSIONED_PACKAGES) -> dict[str, str]:
    """Versions of Python and of the installed ``packages`` (missing ones are left out).

    Example:
        >>> "python" in versions()
        True
    """
    found = {"python": platform.python_version()}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def cpu_model() -> str:
    """The processor's model name (from ``/proc/cpuinfo`` on Linux), else its architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
"""CPU flags of bfloat16 instructions, recorded with every benchmark."""


def cpu_details(cpuinfo: str | None = None) -> dict[str, Any]:
    r"""Vendor, family, model and bfloat16 instructions of the first processor (Linux).

    A model name alone can stand for different CPUs (``"AMD EPYC"``), whose speeds,
    in mixed bfloat16 above all, differ; these fields tell them apart.

    Args:
        cpuinfo: The text of ``/proc/cpuinfo`` (default: read it); ``{}`` without one.

    Example:
        >>> cpu_details("vendor_id: AuthenticAMD\ncpu family: 25\nmodel: 17\n"
        ...             "flags: fpu avx512f avx512_bf16\n\nvendor_id: other")
        {'vendor': 'AuthenticAMD', 'family': '25', 'model': '17', 'bfloat16': ['avx512_bf16']}
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return {}
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the first processor's block is enough
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    if not fields:
        return {}
    names = {"vendor_id": "vendor", "cpu family": "family", "model": "model"}
    details: dict[str, Any] = {new: fields[old] for old, new in names.items() if old in fields}
    flags = fields.get("flags", "").split()
    details["bfloat16"] = [flag for flag in BFLOAT16_FLAGS if flag in flags]
    return details


def nvidia_gpu() -> str | None:
    """Name of the first NVIDIA GPU that ``nvidia-smi`` lists, or ``None``."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.strip().splitlines() if out.returncode == 0 else []
    return lines[0].strip() if lines else None


def machine() -> dict[str, Any]:
    """Processor, cores, memory and accelerator of this machine (no host names or paths).

    Example:
        >>> sorted(machine())
        ['accelerator', 'cpu', 'cpus', 'memory_gb', 'platform', 'processor', 'usable_cores']
    """
    return {
        "platform": platform.platform(),
        "processor": cpu_model(),
        "cpu": cpu_details(),
        "cpus": os.cpu_count(),
        "usable_cores": usable_cores(),
        "memory_gb": round(total_memory_bytes() / 1024**3, 1),
        "accelerator": nvidia_gpu(),
    }
