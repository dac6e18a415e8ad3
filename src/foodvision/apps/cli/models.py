"""``foodvision models``: the registered models, their input size and what they are.

Example:
    $ foodvision models "vgg*"
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    """Register ``models`` on the command's sub-parsers."""
    parser = commands.add_parser("models", help="list the registered models")
    parser.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """List registered models with their default input size and description."""
    from foodvision.models import get_model_spec, list_models

    for name in list_models(args.pattern):
        spec = get_model_spec(name)
        size = "x".join(str(v) for v in spec.input_shape[:2])
        print(f"{name:<24} {size:>9}  {spec.description}")
    return 0
