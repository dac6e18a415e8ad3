"""Training: ``fv.train`` with resumable checkpoints, and two-phase ``fv.fine_tune``.

- :mod:`~foodvision.training.fit`: ``train``, one run of ``model.fit`` with the library's
  defaults, checkpoints and resume.
- :mod:`~foodvision.training.two_phase`: ``fine_tune``, head first, then the top blocks,
  on cached features where the images do not change.
- :mod:`~foodvision.training.state` and :mod:`~foodvision.training.callbacks`: what a
  checkpoint folder holds, and the callbacks that keep it current.
- :mod:`~foodvision.training.averaging`: ``WeightAverage``, the mean of the last epochs.
- :mod:`~foodvision.training.feature_cache`: a frozen prefix's outputs computed once.
- :mod:`~foodvision.training.schedules` and :mod:`~foodvision.training.placement`:
  optimizers and learning-rate schedules; precision and device placement.
- :mod:`~foodvision.training.precision`: ``precision="auto"``, measured per machine.
- :mod:`~foodvision.training.batches`: batches of one shape for compiled steps.
- :mod:`~foodvision.training.compile_cache`: XLA's compiled programs kept on disk.
- :mod:`~foodvision.training.processes`: multi-process runs, and which process writes.
"""

from foodvision.training.averaging import WeightAverage
from foodvision.training.compile_cache import use_compilation_cache
from foodvision.training.fit import train
from foodvision.training.precision import resolve_precision
from foodvision.training.processes import initialize_processes, is_chief
from foodvision.training.two_phase import FineTuneResult, fine_tune

__all__ = [
    "FineTuneResult",
    "WeightAverage",
    "fine_tune",
    "initialize_processes",
    "is_chief",
    "resolve_precision",
    "train",
    "use_compilation_cache",
]
