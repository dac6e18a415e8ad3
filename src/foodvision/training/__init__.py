"""Training: ``fv.train`` with resumable checkpoints, and two-phase ``fv.fine_tune``."""

from foodvision.training.averaging import WeightAverage
from foodvision.training.fine_tune import FineTuneResult, fine_tune
from foodvision.training.fit import train

__all__ = ["FineTuneResult", "WeightAverage", "fine_tune", "train"]
