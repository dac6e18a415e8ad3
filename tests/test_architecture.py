"""The layout's rules, read from the source (AST): layers, private names, circles, size.

- ``foodvision.base`` imports nothing from foodvision;
- the library (everything but ``base``, ``apps`` and the package's ``__init__`` /
  ``__main__``) imports no application, and no application imports the command
  (``foodvision.apps.cli``);
- nothing imports a private (``_name``) module or name across package lines, in ``src``
  or in ``tests``;
- no import circle between files;
- no function longer than :data:`MAX_FUNCTION_LINES` lines of code (docstring left out).

Imports inside functions count (they run, later); imports under ``if TYPE_CHECKING:``
do not (they never run: they only name types for annotations).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PACKAGE = SRC / "foodvision"
TESTS = REPO / "tests"
FACADE = {"foodvision", "foodvision.__main__"}
MAX_FUNCTION_LINES = 80
LONG_FUNCTIONS_ALLOWED = {"foodvision.data.synthetic_images"}
"""Procedural drawing code: one function per food, a long list of strokes each."""


@dataclass(frozen=True)
class Import:
    importer: str  # module name, e.g. "foodvision.training.fit"
    target: str  # the module imported (a submodule when one is named)
    name: str | None  # the name taken from it, when it is not a module
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _import_nodes(tree: ast.AST):
    stack = [tree]
    while stack:
        node = stack.pop()
        if _type_checking_block(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(path: Path, importer: str) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = package_of(importer, path) if importer else ""
    found = []
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            found += [
                Import(importer, alias.name, None, node.lineno)
                for alias in node.names
                if alias.name.split(".")[0] == "foodvision"
            ]
            continue
        base = node.module or ""
        if node.level:  # relative import
            base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
            base = f"{base}.{node.module}" if node.module else base
        if base.split(".")[0] != "foodvision":
            continue
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            if is_module(candidate):
                found.append(Import(importer, candidate, None, node.lineno))
            else:
                found.append(Import(importer, base, alias.name, node.lineno))
    return found


def source_modules() -> dict[str, Path]:
    return {module_name(p, SRC): p for p in sorted(PACKAGE.rglob("*.py"))}


SOURCE = source_modules()
IMPORTS = [imp for name, path in SOURCE.items() for imp in imports_of(path, name)]


def layer(module: str) -> str:
    if module in FACADE:
        return "facade"
    if module == "foodvision.base" or module.startswith("foodvision.base."):
        return "base"
    if module == "foodvision.apps.cli" or module.startswith("foodvision.apps.cli."):
        return "cli"
    if module == "foodvision.apps" or module.startswith("foodvision.apps."):
        return "application"
    return "library"


def where(imp: Import) -> str:
    name = f" ({imp.name})" if imp.name else ""
    return f"{imp.importer}:{imp.line} imports {imp.target}{name}"


def test_every_module_is_parsed():
    assert len(SOURCE) > 50 and "foodvision.training.fit" in SOURCE
    assert any(imp.importer == "foodvision.training.fit" for imp in IMPORTS)


def test_base_imports_nothing_from_foodvision():
    assert [where(i) for i in IMPORTS if layer(i.importer) == "base"] == []


def test_library_imports_no_application_and_applications_no_command():
    allowed = {
        "base": {"base"},
        "library": {"base", "library"},
        "application": {"base", "library", "application"},
        "cli": {"base", "library", "application", "cli"},
        "facade": {"base", "library", "application", "cli", "facade"},
    }
    wrong = [where(i) for i in IMPORTS if layer(i.target) not in allowed[layer(i.importer)]]
    assert wrong == []


def _private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def owner_package(module: str) -> str:
    """The package a module belongs to (a package belongs to itself)."""
    path = SOURCE.get(module)
    return module if path is not None and path.name == "__init__.py" else module.rpartition(".")[0]


def private_crossings(imports: list[Import], package_of_importer) -> list[str]:
    """Imports of a private module, or of a private name, from outside its package."""
    wrong = []
    for imp in imports:
        parts = imp.target.split(".")
        private_at = next((i for i, part in enumerate(parts) if _private(part)), None)
        if private_at is not None:
            owner = ".".join(parts[:private_at])
        elif imp.name and _private(imp.name):
            owner = owner_package(imp.target)
        else:
            continue
        if package_of_importer(imp) != owner:
            wrong.append(where(imp))
    return wrong


def test_no_private_name_crosses_a_package_line_in_src():
    def package(imp: Import) -> str:
        return package_of(imp.importer, SOURCE[imp.importer])

    assert private_crossings(IMPORTS, package) == []


def test_the_private_rule_finds_a_crossing_and_allows_a_package_its_own():
    imports = [
        Import("foodvision.training.fit", "foodvision.data.pipeline", "_memory_budget", 1),
        Import("foodvision.data.sources", "foodvision.data.pipeline", "_decode", 2),
        Import("foodvision.apps.cli.data", "foodvision.interpret._graph", None, 3),
    ]
    found = private_crossings(imports, lambda imp: imp.importer.rpartition(".")[0])
    assert found == [where(imports[0]), where(imports[2])]


def test_tests_import_no_private_names():
    imports = [
        imp
        for path in sorted(TESTS.rglob("*.py"))
        for imp in imports_of(path, "tests." + module_name(path, TESTS))
    ]
    assert len(imports) > 50
    assert private_crossings(imports, lambda imp: "tests") == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_files():
    graph: dict[str, set[str]] = {name: set() for name in SOURCE}
    for imp in IMPORTS:
        if imp.target in SOURCE and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    assert _cycles(graph) == []


def test_the_circle_finder_finds_circles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def _code_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = function.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


@pytest.mark.parametrize("module", sorted(set(SOURCE) - LONG_FUNCTIONS_ALLOWED))
def test_functions_are_short(module):
    tree = ast.parse(SOURCE[module].read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({_code_lines(node)} lines)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and _code_lines(node) > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_no_package_name_hides_one_of_its_modules():
    """``import foodvision.x.y as m`` must give the module ``y``, not a function named ``y``."""
    hidden = []
    for package, path in SOURCE.items():
        if path.name != "__init__.py":
            continue
        modules = {p.stem for p in path.parent.glob("*.py")} | {
            p.parent.name for p in path.parent.glob("*/__init__.py")
        }
        for imp in IMPORTS:
            if imp.importer == package and imp.name in modules:
                hidden.append(f"{package}.{imp.name}")
    assert hidden == []
