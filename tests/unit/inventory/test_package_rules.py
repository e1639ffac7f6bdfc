"""Rules of the package's shape: what it may import, and where file I/O lives."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import inventory

PACKAGE = Path(inventory.__file__).parent
ALLOWED = {"inventory", "pydantic", "pydantic_core", "yaml"}


def imported_roots(source: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_inventory_imports_only_pydantic_yaml_and_the_standard_library() -> None:
    for source in PACKAGE.glob("*.py"):
        outside = imported_roots(source) - ALLOWED - set(sys.stdlib_module_names)
        assert not outside, f"{source.name} imports {sorted(outside)}"


def test_only_the_loader_touches_files_or_the_environment() -> None:
    for source in PACKAGE.glob("*.py"):
        if source.name == "loader.py":
            continue
        text = source.read_text()
        for marker in ("open(", "read_text", "write_text", "os.environ", "iterdir"):
            assert marker not in text, f"{source.name} uses {marker}"


def test_every_public_name_is_exported_and_documented() -> None:
    for name in inventory.__all__:
        value = getattr(inventory, name)
        if callable(value) and not name.isupper():
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"
