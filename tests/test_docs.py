"""The documentation: its code runs, and the API reference covers the public API.

Every ```python block of ``docs/*.md`` runs: the blocks of one page in order, in one
namespace, in a temporary folder that holds a small class-per-folder dataset
(``photos/``) and a small Food-101-layout dataset (``food-101/``). To keep the test fast,
the public functions that load data, build models and train are wrapped so that images
are at most 32 px, the built-in dataset has a few images per class and trainings run 1
epoch (the docs pass these settings as keyword arguments). A block preceded by a
``<!-- skip: reason -->`` line is not run (GPU, downloads, long runs); the test counts
them so that they stay few.
"""

from __future__ import annotations

import functools
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from harness import write_image

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
API_DOCS = DOCS / "api"
MAX_SKIPPED_BLOCKS = 8
TINY_SIDE = 32
FOOD101_CLASSES = ("apple_pie", "bibimbap", "ramen")


def python_blocks(page: Path) -> list[tuple[int, str, bool]]:
    """``(first line number, code, skipped)`` for every ```python block of ``page``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        if lines[index].strip() == "```python":
            previous = next((ln.strip() for ln in reversed(lines[:index]) if ln.strip()), "")
            skipped = previous.startswith("<!-- skip")
            end = index + 1
            while lines[end].strip() != "```":
                end += 1
            blocks.append((index + 2, "\n".join(lines[index + 1 : end]), skipped))
            index = end
        index += 1
    return blocks


PAGES = sorted(p for p in DOCS.glob("*.md") if python_blocks(p))


def _cap_side(value):
    values = tuple(int(v) for v in value)
    return tuple(min(v, TINY_SIDE) for v in values[:2]) + values[2:]


def _tiny(function, *, sides=(), caps=None, forced=None):
    """Wrap ``function`` so that keyword arguments stay small."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        for key in sides:
            if key in kwargs:
                kwargs[key] = _cap_side(kwargs[key])
        for key, cap in (caps or {}).items():
            if key in kwargs:
                kwargs[key] = min(kwargs[key], cap)
        kwargs.update(forced or {})
        return function(*args, **kwargs)

    return wrapper


@pytest.fixture(scope="module")
def doc_data(tmp_path_factory):
    """A folder with ``photos/`` (class per folder) and ``food-101/`` (Food-101 layout)."""
    import foodvision as fv

    root = tmp_path_factory.mktemp("docs_data")
    data = fv.load_synthetic(
        image_size=(40, 40),
        train_per_class=6,
        val_per_class=0,
        test_per_class=0,
        batch_size=64,
        seed=1,
    )
    images, labels = next(iter(data.train))
    images, labels = np.asarray(images), np.asarray(labels)
    for i, (image, label) in enumerate(zip(images, labels)):
        write_image(root / "photos" / data.class_names[label] / f"{i:03d}.png", image)
    meta = root / "food-101" / "meta"
    meta.mkdir(parents=True)
    train, test = [], []
    for c, name in enumerate(FOOD101_CLASSES):
        for i in range(8):
            write_image(root / "food-101" / "images" / name / f"{i}.jpg", images[8 * c + i])
            (train if i < 6 else test).append(f"{name}/{i}")
    (meta / "classes.txt").write_text("\n".join(FOOD101_CLASSES) + "\n")
    (meta / "train.txt").write_text("\n".join(train) + "\n")
    (meta / "test.txt").write_text("\n".join(test) + "\n")
    return root


@pytest.fixture
def tiny_foodvision(monkeypatch):
    import foodvision as fv
    from foodvision.models import unregister_model

    sizes = ("image_size", "input_shape")
    wrapped = {
        "load_synthetic": dict(
            sides=sizes, forced=dict(train_per_class=4, val_per_class=2, test_per_class=2)
        ),
        "load_image_folder": dict(sides=sizes),
        "load_food101": dict(sides=sizes),
        "load_data": dict(sides=sizes),
        "build_model": dict(sides=sizes),
        "train": dict(caps={"epochs": 1}),
        "fine_tune": dict(caps={"head_epochs": 1, "finetune_epochs": 1}),
        "tune_cnn": dict(caps={"epochs": 1, "max_trials": 1}),
    }
    for name, options in wrapped.items():
        monkeypatch.setattr(fv, name, _tiny(getattr(fv, name), **options))
    registered = set(fv.list_models())
    yield fv
    for name in set(fv.list_models()) - registered:
        unregister_model(name)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_code_runs(page, doc_data, tiny_foodvision, weights_env, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(doc_data)
    module = types.ModuleType(f"docs_{page.stem}")  # dataclasses need a real module
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    for line, code, skipped in python_blocks(page):
        if skipped:
            continue
        source = "\n" * (line - 1) + code  # tracebacks point at the line in the page
        exec(compile(source, str(page.relative_to(REPO)), "exec"), namespace)  # noqa: S102


def test_few_blocks_are_skipped():
    pages = sorted(DOCS.glob("*.md"))
    skipped = [(p.name, line) for p in pages for line, _, skip in python_blocks(p) if skip]
    total = sum(len(python_blocks(p)) for p in pages)
    assert total >= 10
    assert len(skipped) <= MAX_SKIPPED_BLOCKS, skipped


def api_entries() -> dict[str, str]:
    """``{public name: dotted path}`` of the ``::: path`` entries of docs/api/*.md."""
    entries = {}
    for page in sorted(API_DOCS.glob("*.md")):
        for path in re.findall(r"^::: *(foodvision[\w.]*)\s*$", page.read_text(), re.M):
            entries[path.rsplit(".", 1)[-1]] = path
    return entries


def test_every_public_name_is_in_the_api_reference():
    import importlib

    import foodvision as fv

    entries = api_entries()
    missing = sorted(set(fv.__all__) - set(entries))
    assert not missing, f"add '::: foodvision....' entries to docs/api/*.md for {missing}"
    for name in fv.__all__:
        module, _, attribute = entries[name].rpartition(".")
        assert getattr(importlib.import_module(module), attribute) is getattr(fv, name), name


@pytest.fixture(scope="module")
def griffe_package():
    griffe = pytest.importorskip("griffe")
    return griffe.load("foodvision", search_paths=[str(REPO / "src")], resolve_aliases=True)


@pytest.mark.parametrize("name", __import__("foodvision").__all__)
def test_public_docstring_has_an_example(name, griffe_package):
    path = api_entries()[name]
    docstring = griffe_package[path.removeprefix("foodvision.")].docstring
    assert docstring is not None, f"{path} has no docstring"
    assert "Example" in docstring.value, f"the docstring of {path} has no Example: section"
