"""The ``foodvision`` command, one module per sub-command.

- :mod:`~foodvision.apps.cli.command`: the parser and the one-line error handling.
- :mod:`~foodvision.apps.cli.common`: what the sub-commands share (data arguments,
  backend choice, one-line usage errors).
- ``data``, ``train``, ``evaluate``, ``predict``, ``study``, ``bench``, ``models``: each
  registers its parser (``add_parser``) and runs it (``run``).

Example:
    $ foodvision --help
    $ python -m foodvision --version
"""

from foodvision.apps.cli.command import build_parser, main

__all__ = ["build_parser", "main"]
