"""What the backend benchmark times: models at the study's image sizes, and their FLOPs.

Example:
    >>> [case.name for case in benchmark_cases(quick=True)][:2]
    ['baseline_cnn@64', 'deeper_cnn@64']
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class BenchCase:
    """One model setting to time.

    Attributes:
        model: A registered model name.
        image_size: Square input side in pixels.
        batch_size: Images per training step.
        trainable_blocks: For ``vgg16_finetune``: backbone blocks left trainable
            (0 = frozen base, 5 = the whole network); ``None`` for models without blocks.
        label: Short description for tables.
    """

    model: str
    image_size: int
    batch_size: int = 32
    trainable_blocks: int | None = None
    label: str = ""

    @property
    def name(self) -> str:
        """``model@size`` plus the trainable blocks where they apply."""
        suffix = "" if self.trainable_blocks is None else f"/train{self.trainable_blocks}"
        return f"{self.model}@{self.image_size}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (the worker's argument)."""
        return dataclasses.asdict(self)


def benchmark_cases(quick: bool = False, batch_size: int = 32) -> list[BenchCase]:
    """The study's models at the study's image sizes.

    The scratch CNNs run at 64 px (quick profile) and, unless ``quick``, 128 px (full
    profile); VGG16 runs at 224 px with a frozen base (phase 1 without feature caching)
    and fully trainable. ``quick`` drops the 128 px rows and halves the VGG16 batch.
    """
    sizes = (64,) if quick else (64, 128)
    cases = [
        BenchCase(model, size, batch_size, label=f"{label}, {size} px")
        for size in sizes
        for model, label in (
            ("baseline_cnn", "step 1 baseline"),
            ("deeper_cnn", "step 2 deeper"),
            ("augmented_cnn", "step 3 deeper + dropout"),
        )
    ]
    vgg_batch = max(1, batch_size // 2) if quick else batch_size
    cases += [
        BenchCase("vgg16_finetune", 224, vgg_batch, 0, "VGG16 frozen base, 224 px"),
        BenchCase("vgg16_finetune", 224, vgg_batch, 5, "VGG16 all trainable, 224 px"),
    ]
    return cases


def forward_flops(model: Any) -> tuple[float, float]:
    """Analytic multiply-add FLOPs of one image's forward pass: ``(total, trainable part)``.

    Counts ``Conv2D`` (2·H·W·k·k·Cin/groups·Cout) and ``Dense`` (2·in·out per position) layers,
    nested models included; other layers are memory-bound and left out. The second value
    sums the layers from the first one with trainable weights onwards: the part a
    training step also runs backwards (about twice its forward FLOPs).

    Example:
        >>> import keras
        >>> m = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3)])
        >>> forward_flops(m)  # 2 * 6*6 * 3*3*3 * 4
        (7776.0, 7776.0)
    """
    import keras
    import numpy as np

    counted: list[tuple[float, bool]] = []

    def visit(layer: Any) -> None:
        if isinstance(layer, keras.Model):
            for child in layer.layers:
                visit(child)
            return
        if isinstance(layer, keras.layers.Conv2D):
            out = layer.output.shape
            kh, kw, cin_per_group, cout = layer.kernel.shape  # Keras stores Cin / groups
            flops = 2.0 * out[1] * out[2] * kh * kw * cin_per_group * cout
        elif isinstance(layer, keras.layers.Dense):
            out = layer.output.shape
            positions = float(np.prod(out[1:-1])) if len(out) > 2 else 1.0
            flops = 2.0 * positions * layer.kernel.shape[0] * layer.kernel.shape[1]
        else:
            return
        counted.append((flops, bool(layer.trainable_weights)))

    visit(model)
    total = sum(f for f, _ in counted)
    first = next((i for i, (_, trainable) in enumerate(counted) if trainable), len(counted))
    return total, sum(f for f, _ in counted[first:])


def training_flops(model: Any) -> float:
    """FLOPs of one image's training step: forward plus 2x the trainable part backwards."""
    total, trainable = forward_flops(model)
    return total + 2.0 * trainable


PEAK_BF16_FLOPS = {
    "GH200": 989e12,
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
}
"""Dense (no sparsity) bf16 tensor-core peak of NVIDIA devices, FLOP/s, by name part."""


def device_peak_flops(device_kind: str | None) -> float | None:
    """The bf16 peak of a device named ``device_kind`` (e.g. ``"NVIDIA H200"``), if known.

    Example:
        >>> device_peak_flops("NVIDIA H100 80GB HBM3"), device_peak_flops("cpu")
        (989000000000000.0, None)
    """
    name = (device_kind or "").upper()
    for part in sorted(PEAK_BF16_FLOPS, key=len, reverse=True):
        if part in name:
            return PEAK_BF16_FLOPS[part]
    return None
