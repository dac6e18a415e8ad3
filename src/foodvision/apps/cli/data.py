"""``foodvision data``: classes, counts per split and skipped files of a dataset.

Example:
    $ foodvision data synthetic
    $ foodvision data path/to/food-101 --image-size 224
"""

from __future__ import annotations

import argparse
from typing import Any

from foodvision.apps.cli.common import add_data_arguments, data_from_args


def add_parser(commands: Any) -> None:
    """Register ``data`` on the command's sub-parsers."""
    parser = commands.add_parser("data", help="summarise a dataset: classes, counts, skipped files")
    add_data_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the dataset's summary."""
    print(data_from_args(args).summary())
    return 0
