"""The house rules that no linter checks: no import circles, every module says what it owns,
every declared dependency is used, and the rooms are the ones ARCHITECTURE.md describes."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "credit_management"
# The distribution name of a dependency -> the module it is imported as.
IMPORT_NAMES = {"python-dateutil": "dateutil"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_import_circles() -> None:
    graph = grimp.build_graph("credit_management", exclude_type_checking_imports=True)
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(imported) == 1:
                circles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, path)
        path.pop()
        state[module] = 2

    for module in sorted(graph.modules):
        if module not in state:
            visit(module, [])
    assert circles == []


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for path in _modules()
        if path.name != "__main__.py" and not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert missing == []


def test_every_declared_dependency_is_imported_by_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    imported: set[str] = set()
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    unused = []
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        if name == "tzdata":  # zone data for zoneinfo where the system has none; not imported
            continue
        if IMPORT_NAMES.get(name, name.replace("-", "_")) not in imported:
            unused.append(name)
    assert unused == []


def test_each_room_is_described_in_the_architecture_notes() -> None:
    notes = (ROOT / "ARCHITECTURE.md").read_text()
    rooms = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert rooms, "no subpackages found"
    undescribed = [room for room in rooms if f"`{room}/`" not in notes]
    assert undescribed == []
