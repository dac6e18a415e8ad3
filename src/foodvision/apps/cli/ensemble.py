"""``foodvision ensemble``: several saved models as one model file that averages them.

Example:
    $ foodvision ensemble runs/study/seed*/step5_vgg16/model.keras --out step5_ensemble.keras
    $ foodvision evaluate step5_ensemble.keras --data food101-mini5
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(commands: Any) -> None:
    """Register ``ensemble`` on the command's sub-parsers."""
    parser = commands.add_parser(
        "ensemble",
        help="save several models of the same classes as one that averages their probabilities",
    )
    parser.add_argument("models", nargs="+", help="two or more .keras files saved by foodvision")
    parser.add_argument("--out", required=True, help="the ensemble's .keras file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Load the models, join them and save the ensemble."""
    from foodvision.models import ensemble_models, load_model, save_model

    missing = [name for name in args.models if not Path(name).is_file()]
    if missing:
        raise FileNotFoundError(f"model file(s) not found: {', '.join(map(repr, missing))}")
    target = save_model(ensemble_models([load_model(name) for name in args.models]), args.out)
    print(f"saved the ensemble of {len(args.models)} models: {target}")
    return 0
