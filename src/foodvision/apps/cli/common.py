"""What the sub-commands share: one-line errors, the data arguments, the backend choice.

Example:
    >>> parser = OneLineParser(prog="foodvision data")
    >>> add_data_arguments(parser)
    >>> args = parser.parse_args(["synthetic", "--image-size", "64x48"])
    >>> args.data, args.image_size
    ('synthetic', (64, 48))
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

from foodvision.base.backends import BACKEND_CHOICES, choose_backend
from foodvision.base.option_names import DISTRIBUTIONS, PRECISIONS

BACKEND_HELP = (
    "Keras backend (default: $KERAS_BACKEND, else auto: jax on a GPU/TPU, else tensorflow)"
)
DATA_CHOICES_HELP = (
    "a class-per-folder or Food-101 folder, 'food101' (Keras's cache; --download fetches it) "
    "or 'synthetic'"
)


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


def image_size(text: str) -> tuple[int, int]:
    """Parse ``N`` or ``HxW`` (or ``H,W``) into ``(height, width)``, sides >= 8.

    Example:
        >>> image_size("224"), image_size("96x128")
        ((224, 224), (96, 128))
    """
    parts = text.lower().replace("x", ",").split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError as err:  # also a missing side: "10x", "x10", "64,"
        raise argparse.ArgumentTypeError(f"expected N or HxW, got {text!r}") from err
    if len(values) == 1:
        values *= 2
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected N or HxW, got {text!r}")
    if min(values) < 8:
        raise argparse.ArgumentTypeError(f"expected N or HxW with sides >= 8, got {text!r}")
    return values[0], values[1]


def class_list(text: str) -> list[str]:
    """Parse ``a,b,c`` into class names (blanks dropped; at least one name).

    Example:
        >>> class_list("pizza, sushi,")
        ['pizza', 'sushi']
    """
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected class names like a,b,c, got {text!r}")
    return names


def add_backend_argument(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """Add ``--backend`` (read by :func:`choose_backend_for`)."""
    parser.add_argument("--backend", choices=BACKEND_CHOICES, default=default, help=BACKEND_HELP)


def add_augment_on_argument(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """Add ``--augment-on`` (where augmentation runs; see :func:`foodvision.train`)."""
    from foodvision.augment import AUGMENT_ON

    parser.add_argument(
        "--augment-on",
        choices=AUGMENT_ON,
        default=default,
        help="where augmentation runs: device (inside the compiled train step), pipeline "
        "(tf.data) or auto (the device; tf.data for Keras's own layers)"
        + (" (default: the profile's)" if default is None else " (default: %(default)s)"),
    )


def add_placement_arguments(
    parser: argparse.ArgumentParser, defaults: dict[str, Any] | None = None
) -> None:
    """Add ``--precision``, ``--distribution`` and ``--steps-per-execution``.

    Args:
        parser: The command's parser.
        defaults: Their defaults (``precision``, ``distribution``,
            ``steps_per_execution``); ``None`` leaves them unset so that a study keeps
            its profile's. Read them with :func:`placement_from_args`.
    """
    defaults = defaults or {}
    kept = " (default: the profile's)"
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=defaults.get("precision"),
        help="dtype policy of training: auto (mixed bfloat16 on GPUs with bfloat16 units "
        "and on TPUs; float32 on CPUs, where mixed bfloat16 is slower on some and faster on "
        "others: time both with `foodvision bench --precision`), float32, "
        "mixed_bfloat16, mixed_float16 (loss-scaled)"
        + (kept if not defaults else " (default: %(default)s)"),
    )
    parser.add_argument(
        "--distribution",
        choices=("none", *DISTRIBUTIONS),
        default=defaults.get("distribution"),
        help="data_parallel: every batch shared by all devices of every process (JAX); "
        "a multi-process run reads KERAS_DISTRIBUTION_JOB_ADDRESSES, "
        "KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID"
        + (kept if not defaults else " (default: %(default)s)"),
    )
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        default=defaults.get("steps_per_execution"),
        metavar="N",
        help="train steps per compiled call" + (kept if not defaults else " (default: 1)"),
    )


def placement_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """``precision``, ``distribution`` and ``steps_per_execution`` keyword arguments."""
    distribution = args.distribution
    return {
        "precision": args.precision,
        "distribution": None if distribution == "none" else distribution,
        "steps_per_execution": args.steps_per_execution,
    }


def add_data_arguments(
    parser: argparse.ArgumentParser, default_size: int | None = 128, positional: bool = True
) -> None:
    """Add the arguments of every command that loads a dataset (read by :func:`data_from_args`).

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
        type=image_size,
        default=(default_size, default_size) if default_size else None,
        metavar="N|HxW",
        help="image size after resizing (default: "
        + ("%(default)s)" if default_size else "the model's input size)"),
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
        "--classes", type=class_list, default=None, help="comma-separated subset of classes"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--download", action="store_true", help="download Food-101 when it is not found"
    )
    add_loader_argument(parser)


def add_loader_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--loader`` (how image files are read; see :func:`foodvision.load_data`)."""
    from foodvision.data.sources import LOADERS

    parser.add_argument(
        "--loader",
        choices=LOADERS,
        default="auto",
        help="tf: tf.data pipeline; arrays: decoded once with Pillow into a uint8 array, no "
        "TensorFlow; auto: tf when TensorFlow is installed (default: %(default)s)",
    )


def data_from_args(args: argparse.Namespace) -> Any:
    """Load the dataset the arguments of :func:`add_data_arguments` name."""
    from foodvision.data import load_data

    return load_data(
        args.data,
        image_size=args.image_size,
        batch_size=args.batch_size,
        classes=args.classes,
        validation_split=args.validation_split,
        test_split=args.test_split,
        download=args.download,
        seed=args.seed,
        loader=args.loader,
    )


def choose_backend_for(requested: str | None) -> str:
    """Set ``KERAS_BACKEND`` (``--backend``, else ``$KERAS_BACKEND``, else auto), say it.

    What ``auto`` chose is printed on stderr, so a run's log says which backend trained.

    Raises:
        UsageError: A backend that is unknown or not installed, or Keras already loaded
            with another backend.
    """
    try:
        choice = choose_backend(requested)
    except ValueError as err:
        raise UsageError(str(err)) from err
    if "keras" in sys.modules:
        import keras

        if keras.backend.backend() != choice.name:
            raise UsageError(
                f"keras was already imported with backend {keras.backend.backend()!r}; "
                f"choose the backend ({choice.name!r}) before importing keras"
            )
    os.environ["KERAS_BACKEND"] = choice.name
    if choice.reason.startswith("auto"):
        print(f"[foodvision] {choice.describe()}", file=sys.stderr)
    return choice.name


def quiet_tensorflow() -> None:
    """Keep TensorFlow's C++ messages off the terminal unless asked for (``-v``)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def set_verbosity_from(args: argparse.Namespace) -> None:
    """Apply ``-q`` / ``-v``: the ``foodvision`` logger's level, TensorFlow's logs."""
    from foodvision.base.log import set_verbosity
    from foodvision.base.tf_runtime import SHOW_START_UP_ENV

    if getattr(args, "verbose", False):
        os.environ[SHOW_START_UP_ENV] = "1"
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        set_verbosity("debug")
    elif getattr(args, "quiet", False):
        set_verbosity("quiet")
    else:
        set_verbosity("info")


def import_keras_quietly() -> None:
    """Import Keras (and TensorFlow with it) without TensorFlow's start-up lines."""
    from foodvision.base.tf_runtime import quiet_native_start_up

    with quiet_native_start_up():
        import keras  # noqa: F401


def add_tta_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--tta`` (the image and its mirror) and ``--tta-views`` (named views)."""
    parser.add_argument(
        "--tta", action="store_true", help="test-time augmentation: the image and its mirror"
    )
    parser.add_argument(
        "--tta-views",
        default=None,
        metavar="VIEWS",
        help="test-time augmentation views, comma-separated: flip, zoom (implies --tta)",
    )


def tta_from_args(args: argparse.Namespace) -> bool | str:
    """The ``tta`` argument of the library from ``--tta`` / ``--tta-views``."""
    return args.tta_views or bool(args.tta)
