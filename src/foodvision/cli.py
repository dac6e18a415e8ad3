"""The ``foodvision`` command.

The command picks the Keras backend before Keras is imported: ``--backend`` if given,
else ``KERAS_BACKEND`` from the environment, else ``auto`` (JAX on a GPU or TPU,
TensorFlow on a CPU-only machine; see :mod:`foodvision.backend_policy`).

Example:
    $ foodvision data synthetic
    $ foodvision data path/to/food-101 --image-size 224

"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from foodvision.backend_policy import BACKEND_CHOICES, choose_backend

BACKEND_HELP = (
    "Keras backend (default: $KERAS_BACKEND, else auto: jax on a GPU/TPU, else tensorflow)"
)
DATA_CHOICES_HELP = "a class-per-folder or Food-101 folder, 'food101' (download) or 'synthetic'"


class UsageError(Exception):
    """A command-line mistake, reported as one line without a traceback."""


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line that points to ``--help``.

    Sub-command parsers inherit the class, so every command reports a missing or wrong
    argument the same way: ``foodvision train: error: ... (see: foodvision train --help)``.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as one line on stderr and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} --help)\n")


def _image_size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("x", ",").split(",")
    try:
        values = [int(p) for p in parts if p.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected N or HxW, got {text!r}") from err
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or min(values) < 8:
        raise argparse.ArgumentTypeError(f"expected N or HxW with sides >= 8, got {text!r}")
    return values[0], values[1]


def _class_list(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def add_data_arguments(
    parser: argparse.ArgumentParser, default_size: int | None = 128, positional: bool = True
) -> None:
    """Add the arguments of every command that loads a dataset (read by :func:`load_data`).

    Args:
        parser: The command's parser.
        default_size: Default image side; ``None`` leaves ``--image-size`` unset so the
            command can use the model's own input size.
        positional: Take the dataset as a positional argument, else as ``--data``
            (default ``synthetic``).
    """
    if positional:
        parser.add_argument("data", help=DATA_CHOICES_HELP)
    else:
        parser.add_argument(
            "--data", default="synthetic", help=f"{DATA_CHOICES_HELP} (default: %(default)s)"
        )
    parser.add_argument(
        "--image-size",
        type=_image_size,
        default=(default_size, default_size) if default_size else None,
        metavar="N|HxW",
        help="image size after resizing (default: %(default)s)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--validation-split", type=float, default=0.2)
    parser.add_argument(
        "--test-split",
        type=float,
        default=0.2,
        help="test fraction for class-per-folder data (Food-101 uses its own)",
    )
    parser.add_argument(
        "--classes", type=_class_list, default=None, help="comma-separated subset of classes"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--download", action="store_true", help="download Food-101 when it is not found"
    )


def load_data(args: argparse.Namespace):
    """Load the dataset named by ``args.data`` (see :func:`add_data_arguments`)."""
    import foodvision as fv

    return fv.load_data(
        args.data,
        image_size=args.image_size,
        batch_size=args.batch_size,
        classes=args.classes,
        validation_split=args.validation_split,
        test_split=args.test_split,
        download=args.download,
        seed=args.seed,
    )


def cmd_data(args: argparse.Namespace) -> int:
    """Print classes, counts per split and skipped files of a dataset."""
    data = load_data(args)
    print(data.summary())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train a registered model on a dataset, keeping checkpoints in ``--out``."""
    import json
    from pathlib import Path

    import foodvision as fv

    spec = fv.get_model_spec(args.model)  # unknown names fail here, before any loading
    if args.image_size is None:
        args.image_size = tuple(spec.input_shape[:2])
    data = load_data(args)
    model = fv.build_model(
        args.model, num_classes=data.num_classes, input_shape=(*data.image_size, 3)
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "class_names.json").write_text(json.dumps(list(data.class_names)) + "\n")
    history = fv.train(
        model,
        data,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        schedule=args.schedule,
        augmentation=args.augmentation,
        early_stopping=args.early_stopping,
        checkpoint_dir=out,
        resume=args.resume,
        seed=args.seed,
    )
    last = {k: round(v[-1], 4) for k, v in history.history.items()}
    print(f"trained {args.model} for {len(history.epoch)} epochs: {last}")
    print(f"best model: {out / 'best.keras'}; history: {out / 'history.csv'}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Print the top-k classes of each image."""
    from foodvision.predict import predict_files

    for path, top in predict_files(
        args.model, args.images, top_k=args.top_k, class_names=args.classes
    ):
        if isinstance(top, str):
            print(f"{path}: skipped ({top})")
            continue
        ranked = ", ".join(f"{name} {probability:.1%}" for name, probability in top)
        print(f"{path}: {ranked}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``foodvision`` command."""
    parser = OneLineParser(
        prog="foodvision",
        description="Image classification with Keras 3: data, models, training, reports.",
    )
    parser.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default=None,
        help=BACKEND_HELP,
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    data = commands.add_parser("data", help="summarise a dataset: classes, counts, skipped files")
    add_data_arguments(data)
    data.set_defaults(handler=cmd_data)

    train = commands.add_parser("train", help="train a model; checkpoints, history, best model")
    train.add_argument("--model", required=True, help="a registered model name (see `models`)")
    add_data_arguments(train, default_size=None, positional=False)
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--out", required=True, help="folder for checkpoints and history")
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--schedule", default="constant", choices=("constant", "cosine", "plateau"))
    train.add_argument(
        "--augmentation", default=None, help="augmentation preset: none, light, standard, strong"
    )
    train.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE")
    train.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="continue the run found in --out (default) or start over",
    )
    train.set_defaults(handler=cmd_train)

    predict = commands.add_parser("predict", help="top-k classes of images with a saved model")
    predict.add_argument("model", help="a .keras file saved by foodvision")
    predict.add_argument("images", nargs="+", help="image files")
    predict.add_argument("--top-k", type=int, default=3)
    predict.add_argument(
        "--classes",
        type=_class_list,
        default=None,
        help="class names, comma-separated (default: class_names.json next to the model)",
    )
    predict.set_defaults(handler=cmd_predict)

    from foodvision.evaluation.cli_commands import add_evaluate_command

    add_evaluate_command(commands)

    from foodvision.study.cli_commands import add_study_command

    add_study_command(commands, BACKEND_CHOICES, DATA_CHOICES_HELP, BACKEND_HELP)

    from foodvision.bench.cli_commands import add_bench_command

    add_bench_command(commands)

    models = commands.add_parser("models", help="list the registered models")
    models.add_argument("pattern", nargs="?", default="*", help="fnmatch pattern")
    models.set_defaults(handler=cmd_models)
    return parser


def cmd_models(args: argparse.Namespace) -> int:
    """List registered models with their default input size and description."""
    import foodvision as fv

    for name in fv.list_models(args.pattern):
        spec = fv.get_model_spec(name)
        size = "x".join(str(v) for v in spec.input_shape[:2])
        print(f"{name:<24} {size:>9}  {spec.description}")
    return 0


def select_backend(requested: str | None) -> str:
    """Set ``KERAS_BACKEND`` by :func:`~foodvision.backend_policy.choose_backend` and say which.

    ``requested`` is ``--backend``; ``None`` means ``$KERAS_BACKEND``, else ``auto``.
    """
    try:
        choice = choose_backend(requested)
    except ValueError as err:
        raise UsageError(str(err)) from err
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != choice.name:
            raise UsageError(f"keras was already imported with backend {keras.backend.backend()!r}")
    os.environ["KERAS_BACKEND"] = choice.name
    if choice.reason.startswith("auto"):
        print(f"[foodvision] {choice.describe()}", file=sys.stderr)
    return choice.name


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``foodvision`` command; returns the exit status."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # The backend must be set before anything imports keras, parser building included.
    early = OneLineParser(prog="foodvision", add_help=False)
    early.add_argument("--backend", default=None)
    known, _ = early.parse_known_args(argv)
    try:
        select_backend(known.backend if known.backend in BACKEND_CHOICES else None)
    except UsageError as err:
        print(f"foodvision: error: {err}", file=sys.stderr)
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("foodvision: interrupted", file=sys.stderr)
        return 130
    except (UsageError, ValueError, FileNotFoundError, OSError) as err:
        if args.debug:
            raise
        print(f"foodvision {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # an unexpected failure: still one line, traceback on --debug
        if args.debug:
            raise
        print(
            f"foodvision {args.command}: error: {type(err).__name__}: {_one_line(err)} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line(error: BaseException) -> str:
    r"""An error's message on one line (multi-line messages are joined with ``" | "``).

    Example:
        >>> _one_line(ValueError("bad value\n  details"))
        'bad value | details'

    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " | ".join(lines) or type(error).__name__


if __name__ == "__main__":
    # Run the importable module's main, not this copy's: under ``python -m`` this file is
    # ``__main__``, and commands raise ``foodvision.cli.UsageError``, a different class.
    from foodvision.cli import main as package_main

    sys.exit(package_main())
