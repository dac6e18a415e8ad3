"""Which dtype policy trains fastest here: ``precision="auto"``.

Mixed bfloat16 computes in bfloat16 and keeps float32 weights; it needs no loss scaling.
``auto`` takes it only where it was measured faster (``benchmarks/README.md``): on a GPU
with bfloat16 tensor cores (compute capability 8.0 or newer; VGG16 trained at 40 % of an
H200's bf16 peak) or a TPU. Everywhere else it is float32. On a 2-core Xeon with
``avx512_bf16``, TensorFlow trained the study's CNNs at 0.52-0.75x of their float32 speed
in mixed bfloat16 and the study's step 5 took 1.7x as long; XLA's CPU bfloat16 (JAX) ran at
0.82x. A 2-core AMD EPYC (Zen 4, the same instructions) went the other way: TensorFlow
trained 1.1-2.1x as fast in mixed bfloat16. CPUs disagree, so ``auto`` keeps float32 on
all of them; ask for ``"mixed_bfloat16"`` where it was timed faster. Older GPUs have no
bfloat16 units (``"mixed_float16"`` is theirs to ask for).

Example:
    >>> resolve_precision("mixed_float16")
    'mixed_float16'
"""

from __future__ import annotations

import keras

from foodvision.base.option_names import PRECISIONS


def _accelerator_has_bfloat16(backend: str) -> bool | None:
    """``True``/``False`` for the backend's GPU or TPU, ``None`` when it runs on a CPU."""
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform == "tpu":
            return True
        if device.platform == "gpu":
            capability = getattr(device, "compute_capability", "0")
            return float(capability) >= 8.0
        return None
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return bool(torch.cuda.is_bf16_supported())
        return None
    if backend == "tensorflow":
        from foodvision.base.tf_runtime import tensorflow

        gpus = tensorflow().config.list_physical_devices("GPU")
        if not gpus:
            return None
        details = tensorflow().config.experimental.get_device_details(gpus[0])
        return tuple(details.get("compute_capability", (0, 0))) >= (8, 0)
    return None


def resolve_precision(precision: str | None) -> str:
    """The dtype policy name to train under.

    Args:
        precision: ``None`` or ``"float32"``, ``"mixed_bfloat16"``, ``"mixed_float16"``,
            or ``"auto"`` (see the module docstring).

    Raises:
        ValueError: For a name not in
            :data:`~foodvision.base.option_names.PRECISIONS`.

    Example:
        >>> resolve_precision(None), resolve_precision("mixed_bfloat16")
        ('float32', 'mixed_bfloat16')
    """
    if precision is None:
        return "float32"
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    fast = _accelerator_has_bfloat16(keras.backend.backend())
    return "mixed_bfloat16" if fast else "float32"
