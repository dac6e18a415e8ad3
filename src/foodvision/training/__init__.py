"""Training: ``fv.train`` with resumable checkpoints."""

from foodvision.training.fit import train

__all__ = ["train"]
