"""The applications, built on the library: the command, the study, the benchmark.

- :mod:`foodvision.apps.cli`: the ``foodvision`` command, one module per sub-command.
- :mod:`foodvision.apps.study`: the five-step study and its step-4 search.
- :mod:`foodvision.apps.bench`: the backend benchmark (``foodvision bench``).

Nothing in the library imports these, and the study and the benchmark never import the
command (a test checks both rules).
"""
