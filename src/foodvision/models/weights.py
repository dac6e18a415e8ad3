"""Where a backbone's pretrained weights come from, and loading them with clear errors.

``weights`` arguments of the transfer models accept:

- ``"imagenet"``: first ``$FOODVISION_WEIGHTS_DIR/<arch>_imagenet_notop.weights.h5``
  (for example ``vgg16_imagenet_notop.weights.h5``), then Keras's own download and cache
  (``keras.applications.<Model>(weights="imagenet")``, kept in ``~/.keras/models``);
- ``None``: random initialisation (train from scratch);
- a path to a ``.weights.h5`` (Keras 3) or ``.h5`` (legacy) file holding the backbone's
  weights, as written by ``keras.applications.<Model>(include_top=False).save_weights``.

Offline with no local file, building fails with :class:`WeightsUnavailableError` naming the
file and the environment variable. A file for another architecture fails with
:class:`WeightsMismatchError` before Keras tries to load it.

Example:
    >>> resolve_weights(None, "vgg16")
    WeightsSource(kind='none', arch='vgg16', path=None)

"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WEIGHTS_DIR_ENV = "FOODVISION_WEIGHTS_DIR"
"""Environment variable naming a directory of ``<arch>_imagenet_notop.weights.h5`` files.

Example:
    >>> import os
    >>> os.environ[WEIGHTS_DIR_ENV] = "/data/weights"  # doctest: +SKIP
"""

IMAGENET = "imagenet"
_SUFFIXES = (".weights.h5", ".h5", ".hdf5")


class WeightsUnavailableError(OSError):
    """ImageNet weights are neither in ``$FOODVISION_WEIGHTS_DIR`` nor downloadable.

    Example:
        >>> try:  # doctest: +SKIP
        ...     model = fv.build_model("vgg16_finetune", weights="imagenet")
        ... except fv.WeightsUnavailableError as err:  # offline, no local file
        ...     print(err)
    """


class WeightsMismatchError(ValueError):
    """A weights file does not fit the backbone it is loaded into.

    Example:
        >>> fv.build_model("vgg16_finetune",
        ...                weights="resnet50.weights.h5")  # doctest: +SKIP
        Traceback (most recent call last):
        WeightsMismatchError: weights file 'resnet50.weights.h5' does not fit the vgg16 ...
    """


@dataclasses.dataclass(frozen=True)
class WeightsSource:
    """Resolved ``weights`` argument.

    Attributes:
        kind: ``"none"`` (random init), ``"file"`` (load ``path``) or ``"keras"``
            (``keras.applications`` downloads or reuses its cached ImageNet file).
        arch: Backbone architecture, e.g. ``"vgg16"``.
        path: The file to load when ``kind == "file"``.

    """

    kind: str
    arch: str
    path: Path | None = None


def imagenet_filename(arch: str) -> str:
    """File name looked up in ``$FOODVISION_WEIGHTS_DIR`` for ``weights="imagenet"``.

    Example:
        >>> imagenet_filename("vgg16")
        'vgg16_imagenet_notop.weights.h5'

    """
    return f"{arch}_imagenet_notop.weights.h5"


def resolve_weights(weights: str | os.PathLike | None, arch: str) -> WeightsSource:
    """Decide where the weights of backbone ``arch`` come from, without loading anything.

    Args:
        weights: ``"imagenet"``, ``None`` or a path to a weights file.
        arch: Backbone architecture (the file-name prefix), e.g. ``"vgg16"``.

    Returns:
        A :class:`WeightsSource`.

    Raises:
        FileNotFoundError: ``weights`` is a path that does not exist.
        ValueError: The path is not an ``.h5`` weights file.
        TypeError: ``weights`` is neither a string, a path nor ``None``.

    Example:
        >>> resolve_weights("imagenet", "vgg16").kind in ("file", "keras")
        True

    """
    if weights is None:
        return WeightsSource("none", arch)
    if isinstance(weights, str) and weights == IMAGENET:
        directory = os.environ.get(WEIGHTS_DIR_ENV)
        if directory:
            candidate = Path(directory).expanduser() / imagenet_filename(arch)
            if candidate.is_file():
                return WeightsSource("file", arch, candidate)
        return WeightsSource("keras", arch)
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(
            f"weights must be 'imagenet', None or a path to a weights file, got {weights!r}"
        )
    path = Path(weights).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"weights file not found: {str(path)!r}. Pass weights='imagenet', weights=None "
            "(train from scratch) or the path of an existing .weights.h5 file"
        )
    if not path.name.lower().endswith(_SUFFIXES):
        raise ValueError(
            f"weights file {str(path)!r} must be a Keras weights file ending in .weights.h5 "
            "(or a legacy .h5); save one with model.save_weights('name.weights.h5')"
        )
    return WeightsSource("file", arch, path)


def _h5_shapes(path: Path) -> list[tuple[int, ...]]:
    import h5py

    shapes: list[tuple[int, ...]] = []
    try:
        with h5py.File(path, "r") as f:
            root = f["model_weights"] if "model_weights" in f else f

            def visit(name: str, obj: Any) -> None:
                if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer"):
                    shapes.append(tuple(int(d) for d in obj.shape))

            root.visititems(visit)
    except OSError as err:
        raise WeightsMismatchError(
            f"{str(path)!r} is not a readable HDF5 weights file ({err})"
        ) from err
    return shapes


def check_weights_file(backbone: Any, path: str | os.PathLike, arch: str) -> None:
    """Check that a weights file fits ``backbone`` before Keras loads anything.

    The shapes of the arrays in ``path`` must be those of ``backbone``'s weights
    (compared as a multiset), else :class:`WeightsMismatchError`.

    Args:
        backbone: The ``keras.Model`` the file is meant for.
        path: The ``.weights.h5`` / ``.h5`` file.
        arch: Architecture name for the message.

    """
    path = Path(path)
    expected = sorted(tuple(int(d) for d in w.shape) for w in backbone.weights)
    found = sorted(_h5_shapes(path))
    if found != expected:

        def size(shapes: list[tuple[int, ...]]) -> int:
            total = 0
            for shape in shapes:
                count = 1
                for d in shape:
                    count *= d
                total += count
            return total

        raise WeightsMismatchError(
            f"weights file {str(path)!r} does not fit the {arch} backbone: it holds "
            f"{len(found)} arrays ({size(found):,} values) where {arch} without its top "
            f"needs {len(expected)} arrays ({size(expected):,} values). Use a file saved from "
            f"keras.applications (include_top=False) for {arch}, or weights=None"
        )


def load_backbone_weights(backbone: Any, path: str | os.PathLike, arch: str) -> None:
    """Check ``path`` against ``backbone`` (see :func:`check_weights_file`) and load it.

    Raises:
        WeightsMismatchError: The file is for another architecture or Keras cannot
            load it into ``backbone``.

    """
    check_weights_file(backbone, path, arch)
    try:
        backbone.load_weights(os.fspath(path))
    except Exception as err:
        raise WeightsMismatchError(
            f"could not load weights file {str(path)!r} into the {arch} backbone: {err}. "
            "A Keras 3 file must end in .weights.h5, a legacy Keras 2 file in .h5"
        ) from err


@contextlib.contextmanager
def keras_download(arch: str) -> Iterator[None]:
    """Context for ``keras.applications.<Model>(weights="imagenet")``.

    Turns a failed download into one :class:`WeightsUnavailableError` that names the file
    and the environment variable and says how to fix it.
    """
    try:
        yield
    except Exception as err:
        directory = os.environ.get(WEIGHTS_DIR_ENV)
        where = (
            f"it is not in {WEIGHTS_DIR_ENV}={directory!r}"
            if directory
            else f"{WEIGHTS_DIR_ENV} is not set"
        )
        raise WeightsUnavailableError(
            f"cannot get ImageNet weights for {arch}: {where}, and Keras could not "
            f"download them ({type(err).__name__}: {err}). Put "
            f"{imagenet_filename(arch)} in a directory and set {WEIGHTS_DIR_ENV} to it, "
            "pass weights=PATH to a weights file, or weights=None to train from scratch"
        ) from err
