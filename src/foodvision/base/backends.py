"""Pick the Keras backend before Keras is imported: ``backend="auto"``.

The policy follows measurements (``benchmarks/README.md``): on a CPU-only machine
TensorFlow, whose oneDNN convolutions trained the study's CNNs 3.4-6.0x faster than
XLA's CPU convolutions (JAX) and 1.9-3.6x faster than torch on a 2-core CPU; JAX where
it has an accelerator (JAX-first design; not yet measured against the others on a GPU).

Nothing here imports Keras. Only when a JAX GPU/TPU plugin is installed does the policy
ask JAX for its devices, in a short subprocess, so the calling process neither pays
JAX's start-up nor reserves accelerator memory.

Example:
    >>> from foodvision.base.backends import choose_backend
    >>> choice = choose_backend("tensorflow")
    >>> choice.name, choice.reason
    ('tensorflow', 'asked for')
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys

BACKENDS = ("jax", "tensorflow", "torch")
BACKEND_CHOICES = ("auto", *BACKENDS)
OTHER_KERAS_BACKENDS = ("numpy", "openvino")
"""Backends Keras accepts for inference only; taken when asked for, never by ``auto``."""


@dataclasses.dataclass(frozen=True)
class BackendChoice:
    """The backend to use and why, printed at the start of a command.

    Attributes:
        name: ``"jax"``, ``"tensorflow"`` or ``"torch"``.
        reason: One short phrase: ``"asked for"``, ``"KERAS_BACKEND"`` or the
            ``auto`` rule that applied.
    """

    name: str
    reason: str

    def describe(self) -> str:
        """One line for the log, e.g. ``"backend tensorflow (auto: CPU only ...)"``."""
        return f"backend {self.name} ({self.reason})"


def installed(backend: str) -> bool:
    """Whether the Python package behind ``backend`` can be imported."""
    return importlib.util.find_spec(backend) is not None


def accelerator_plugin_installed() -> bool:
    """Whether a JAX GPU/TPU plugin (``jax-cuda*``, ``jax-rocm*``, ``libtpu``) is installed."""
    from importlib import metadata

    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith(("jax-cuda", "jax-rocm", "libtpu")):
            return True
    return False


def jax_accelerator() -> str | None:
    """The platform of JAX's default device when it is not a CPU (``"gpu"``, ``"tpu"``).

    Returns ``None`` when JAX or its accelerator plugins are missing, when JAX finds only
    CPUs, or when the probe fails.
    """
    if not installed("jax") or not accelerator_plugin_installed():
        return None
    import subprocess

    probe = "import jax; print(jax.default_backend())"
    env = dict(os.environ, XLA_PYTHON_CLIENT_PREALLOCATE="false")
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split()
    platform = lines[-1] if done.returncode == 0 and lines else "cpu"
    return None if platform == "cpu" else platform


def choose_backend(requested: str | None = "auto") -> BackendChoice:
    """Resolve a backend request into a backend name.

    Args:
        requested: ``"jax"``, ``"tensorflow"``, ``"torch"``, ``"auto"``, or ``None`` to
            use ``KERAS_BACKEND`` when it is set and ``"auto"`` when not.

    Returns:
        A :class:`BackendChoice`. ``"auto"`` picks JAX when JAX sees a GPU or TPU;
        otherwise TensorFlow when installed (fastest measured on CPUs), else JAX, else
        torch.

    Raises:
        ValueError: For a name that is not a backend, or a backend not installed.

    Example:
        >>> choose_backend("jax").name
        'jax'
    """
    reason = "asked for"
    if requested is None:
        requested = os.environ.get("KERAS_BACKEND") or "auto"
        reason = "KERAS_BACKEND" if requested != "auto" else reason
    if requested not in (*BACKEND_CHOICES, *OTHER_KERAS_BACKENDS):
        raise ValueError(
            f"unknown backend {requested!r}; choose one of {', '.join(BACKEND_CHOICES)}"
        )
    if requested != "auto":
        if not installed(requested):
            raise ValueError(
                f"backend {requested!r} is not installed; pip install {requested} "
                f"(or 'foodvision[torch]' for torch), or use --backend auto"
            )
        return BackendChoice(requested, reason)
    accelerator = jax_accelerator()
    if accelerator is not None:
        return BackendChoice("jax", f"auto: JAX sees a {accelerator.upper()}")
    for name in ("tensorflow", "jax", "torch"):
        if installed(name):
            return BackendChoice(name, "auto: CPU only, fastest measured CPU backend installed")
    raise ValueError("no Keras backend is installed; pip install tensorflow or jax")


def _backend_sees_accelerator(backend: str) -> bool:
    if backend == "torch":
        import torch

        return bool(torch.cuda.is_available())
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    return False


def unused_accelerator_message(backend: str) -> str | None:
    """Say how to choose JAX when ``backend`` runs on the CPU while JAX sees a GPU/TPU.

    Args:
        backend: The Keras backend in use.

    Returns:
        The message, or ``None`` when the backend is JAX, JAX sees no accelerator, or
        the backend uses one itself.

    Example:
        >>> unused_accelerator_message("jax") is None
        True

    """
    if backend == "jax":
        return None
    accelerator = jax_accelerator()
    if accelerator is None or _backend_sees_accelerator(backend):
        return None
    return (
        f"Keras runs on {backend} on the CPU, but JAX sees a {accelerator.upper()}: set "
        "KERAS_BACKEND=jax before Keras is imported (in Python: os.environ['KERAS_BACKEND'] "
        "= fv.choose_backend().name, which picks JAX on accelerators), or pass --backend "
        "auto to the foodvision command"
    )
