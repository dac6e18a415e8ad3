"""Every docstring example in the package runs and prints what it shows.

Examples marked ``# doctest: +SKIP`` (training, files, downloads) are only read. The
others run on the test backend in an empty working folder, with ``fv`` (the package)
in scope as the docs write it.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import foodvision as fv


def _cannot_import(name: str) -> None:
    raise ImportError(f"{name} cannot be imported")


MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(fv.__path__, "foodvision.", onerror=_cannot_import)
    if not info.name.endswith("__main__")  # importing it would run the command
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(verbose=False, optionflags=doctest.ELLIPSIS)
    for example in doctest.DocTestFinder().find(module, name, globs={"fv": fv, **vars(module)}):
        runner.run(example)
    report = capsys.readouterr().out
    assert runner.failures == 0, report


def test_the_modules_are_found():
    assert {"foodvision.layers", "foodvision.apps.cli.command"} <= set(MODULES)
