"""The packages' layering, read from the source: no import cycle, no arrow against the layers.

Every import counts, function-level ones included. The allowed arrows are
`workflows -> ceph_tasks -> inventory`, `workflows -> dyrygent`, `cephmaint -> everything`;
dyrygent and inventory import none of the others. The pure core imports no adapter
library, and only the edges (the command line, the worker's app, the Python entry point)
read the environment.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("dyrygent", "inventory", "ceph_tasks", "workflows", "cephmaint")
#: What each package may import of the others.
ALLOWED = {
    "dyrygent": set(),
    "inventory": set(),
    "ceph_tasks": {"inventory"},
    "workflows": {"ceph_tasks", "inventory", "dyrygent"},
    "cephmaint": {"ceph_tasks", "inventory", "dyrygent", "workflows"},
}
#: Modules that make plans or decisions: no broker, no Redis, no SSH, no HTTP, no Ceph.
PURE = ("inventory", "ceph_tasks.decisions", "ceph_tasks.ceph.models", "ceph_tasks.names",
        "workflows.plan", "workflows.steps", "workflows.builders", "workflows.fleet",
        "workflows.planning", "workflows.state", "workflows.impact", "workflows.concurrency",
        "workflows.admission", "ceph_tasks.audit.entry",
        "dyrygent.dag",
        "dyrygent.states")
ADAPTER_LIBRARIES = {"celery", "kombu", "redis", "paramiko", "requests", "rados", "smtplib",
                     "subprocess", "socket", "sqlalchemy", "psycopg", "starlette",
                     "prometheus_client"}
#: The edges, where the settings are read from the environment, once; the worker and the
#: demo also hand the environment on to the worker process they start.
EDGES = {"cephmaint.cli", "cephmaint.session", "cephmaint.worker", "workflows.api",
         "ceph_tasks.settings", "cephmaint.commands.workers", "cephmaint.commands.demo"}


def modules() -> dict[str, Path]:
    """Every module of the packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def imports(path: Path) -> Iterator[str]:
    """Every module an import statement of this file names, at any depth of the code."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # `from a.b import c` imports the module a.b.c when there is one, else a.b.
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield sub if sub in MODULES else node.module


def graph() -> dict[str, set[str]]:
    """Our modules and which of ours each one imports."""
    return {name: {m for m in imports(path) if m in MODULES}
            for name, path in MODULES.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles, each as the path that closes it (Tarjan's strongly connected parts)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                part.append(member)
                if member == node:
                    break
            if len(part) > 1 or node in edges[node]:
                found.append(sorted(part))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_takes_part_in_an_import_cycle() -> None:
    assert cycles(graph()) == []


def test_no_import_goes_against_the_layers() -> None:
    against = sorted(f"{name} imports {target}"
                     for name, targets in graph().items() for target in targets
                     if target.split(".")[0] not in ALLOWED[name.split(".")[0]] | {
                         name.split(".")[0]})
    assert against == []


def test_the_pure_core_imports_no_adapter_library() -> None:
    pure = [name for name in MODULES if name.startswith(PURE)]
    assert len(pure) > 20
    offending = sorted(f"{name} imports {library}" for name in pure
                       for library in imports(MODULES[name])
                       if library.split(".")[0] in ADAPTER_LIBRARIES)
    assert offending == []


def test_the_planning_side_never_imports_the_engine_or_submission() -> None:
    planning = [n for n in MODULES if n.startswith(PURE) and n.startswith("workflows")]
    edges = graph()
    reached: set[str] = set()
    todo = list(planning)
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo += edges[name]
    assert sorted(n for n in reached
                  if n.startswith(("dyrygent", "workflows.submission", "workflows.engine",
                                   "workflows.api", "ceph_tasks.tasks"))) == []


def reads_environment(path: Path) -> list[int]:
    """Lines of a file that read the process environment (os.environ, os.getenv)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb")
                and isinstance(node.value, ast.Name) and node.value.id == "os"):
            lines.append(node.lineno)
        if (isinstance(node, ast.Attribute) and node.attr == "from_env"
                and isinstance(node.value, ast.Name) and node.value.id == "Settings"):
            lines.append(node.lineno)
    return lines


def test_only_the_edges_read_the_environment() -> None:
    below = sorted(f"{name}:{line}" for name, path in MODULES.items() if name not in EDGES
                   for line in reads_environment(path))
    assert below == []
    assert reads_environment(MODULES["cephmaint.session"])


@pytest.mark.parametrize("package", ["ceph_tasks", "workflows", "cephmaint"])
def test_no_module_name_stands_at_two_levels_of_a_package(package: str) -> None:
    names: dict[str, list[str]] = {}
    for name in MODULES:
        if name.startswith(package + ".") and MODULES[name].name != "__init__.py":
            names.setdefault(name.rsplit(".", 1)[1], []).append(name)
    assert {short: full for short, full in names.items() if len(full) > 1} == {}


def test_the_walk_sees_function_level_imports_and_cycles() -> None:
    tree = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(tree) == [["a", "b", "c"]]
    source = ROOT / "tests" / "unit" / "test_architecture.py"
    assert "ast" in set(imports(source))
