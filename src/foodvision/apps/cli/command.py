"""The ``foodvision`` command: the parser, and the one-line error handling of every command.

The arguments are parsed before Keras is imported (``--help``, ``--version`` and usage
errors answer at once); then the backend is chosen (``--backend``, else
``$KERAS_BACKEND``, else ``auto``: JAX on a GPU or TPU, TensorFlow on a CPU-only machine,
see :mod:`foodvision.base.backends`) and the command runs.

Example:
    $ foodvision --version
    $ foodvision data synthetic
    $ foodvision train --model deeper_cnn --data synthetic --epochs 10 --out runs/deeper
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TextIO

from foodvision.apps.cli import (
    bench,
    data,
    ensemble,
    evaluate,
    export,
    models,
    predict,
    serve,
    study,
    train,
)
from foodvision.apps.cli.common import (
    OneLineParser,
    UsageError,
    add_backend_argument,
    choose_backend_for,
    import_keras_quietly,
    quiet_tensorflow,
    set_verbosity_from,
)
from foodvision.base.log import FoodvisionWarning
from foodvision.base.system import package_version

COMMANDS = (data, train, evaluate, predict, ensemble, export, serve, study, bench, models)
"""The sub-command modules, in the order ``foodvision --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``foodvision`` command (imports no Keras)."""
    parser = OneLineParser(
        prog="foodvision",
        description="Image classification with Keras 3: data, models, training, reports.",
    )
    parser.add_argument("--version", action="version", version=f"foodvision {package_version()}")
    add_backend_argument(parser)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    add_loudness_arguments(parser, default=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for command in COMMANDS:
        command.add_parser(commands)
    for sub in commands.choices.values():  # -q / -v after the command name too
        add_loudness_arguments(sub, default=argparse.SUPPRESS)
    return parser


def add_loudness_arguments(parser: argparse.ArgumentParser, default: object) -> None:
    """Add ``-q/--quiet`` and ``-v/--verbose`` (one or the other)."""
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="only warnings and errors (no progress lines)",
    )
    loudness.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default,
        help="debug messages, and TensorFlow's own start-up logs",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``foodvision`` command; returns the exit status."""
    quiet_tensorflow()
    args = build_parser().parse_args(argv)
    # catch_warnings puts the usual display back on return; like any change of the
    # warnings state it holds for the whole process, which is the command's own
    with warnings.catch_warnings():
        if not args.debug:
            warnings.showwarning = one_line_warnings(args.command)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command; errors become one line and an exit status."""
    try:
        set_verbosity_from(args)
        choose_backend_for(args.backend)
        import_keras_quietly()
        return args.handler(args)
    except KeyboardInterrupt:
        print("foodvision: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UsageError, ValueError, FileNotFoundError, OSError) as err:
        if args.debug:
            raise
        print(f"foodvision {args.command}: error: {one_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # an unexpected failure: still one line, traceback on --debug
        if args.debug:
            raise
        print(
            f"foodvision {args.command}: error: {type(err).__name__}: {one_line(err)} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def one_line_warnings(command: str) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints foodvision's warnings on one line.

    Warnings of category :class:`~foodvision.base.log.FoodvisionWarning` print as
    ``foodvision <command>: warning: <message>`` instead of Python's file, line number
    and source line; other packages' warnings keep Python's display.

    Args:
        command: The sub-command's name, put in front of each line.

    Returns:
        A function with the signature of ``warnings.showwarning``.

    Example:
        >>> show = one_line_warnings("train")
        >>> show(FoodvisionWarning("skipped 1 of 9 image files"), FoodvisionWarning, "x.py", 1,
        ...      sys.stdout)
        foodvision train: warning: skipped 1 of 9 image files
    """
    default = warnings.showwarning

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if not issubclass(category, FoodvisionWarning):
            default(message, category, filename, lineno, file, line)
            return
        stream = sys.stderr if file is None else file
        if stream is None:  # no stderr (pythonw): nowhere to show it, as in Python's own
            return
        try:
            print(f"foodvision {command}: warning: {one_line(message)}", file=stream)
        except OSError:  # the reader went away: a warning must not stop the command
            pass

    return show


def one_line(error: BaseException | str) -> str:
    r"""An error's message on one line (multi-line messages are joined with ``" | "``).

    Example:
        >>> one_line(ValueError("bad value\n  details"))
        'bad value | details'

    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " | ".join(lines) or type(error).__name__
