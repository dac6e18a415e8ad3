"""The five-step food study: plan, step runners, the step-4 search, runner and page.

- :mod:`~foodvision.apps.study.plan`: the steps as data and the profiles that size them.
- :mod:`~foodvision.apps.study.steps`: how each kind of step trains (scratch, search,
  transfer).
- :mod:`~foodvision.apps.study.search`: step 4's KerasTuner search (``tune_cnn``).
- :mod:`~foodvision.apps.study.records`: what a study folder remembers, to reuse or
  resume steps.
- :mod:`~foodvision.apps.study.runner`: ``run_study``; :mod:`~foodvision.apps.study.page`:
  ``study.html``.

Importing this package imports nothing else (the ``foodvision`` command reads the plan
without loading Keras); the public names are ``fv.run_study``, ``fv.StudyProfile``,
``fv.tune_cnn``... (see :mod:`foodvision`).

Example:
    >>> import foodvision as fv
    >>> result = fv.run_study("synthetic", steps=[1, 3, 5], out_dir="runs/study")  # doctest: +SKIP
    >>> [s["test_accuracy"] for s in result.summary["steps"]]  # doctest: +SKIP
"""
