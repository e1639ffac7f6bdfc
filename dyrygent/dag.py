"""Pure DAG model: nodes, validation, waves and compilation to the stored form."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dyrygent.errors import (
    CycleError,
    DuplicateNodeError,
    InvalidIdError,
    UnknownDependencyError,
)

# A result expression says what a node receives as its first positional argument:
# {"n": node} is one node's result, {"l": [expr, ...]} an ordered list of them.
# Canvas groups nest, so lists nest; this mirrors what Celery hands to the next task.
ResultExpr = dict[str, Any]

_ID_RE = re.compile(r"^[^\s|]{1,200}$")


def node_ref(node_id: str) -> ResultExpr:
    """Expression for the result of one node."""
    return {"n": node_id}


def list_ref(items: Sequence[ResultExpr]) -> ResultExpr:
    """Expression for the ordered list of several results."""
    return {"l": list(items)}


def expr_nodes(expr: ResultExpr | None) -> list[str]:
    """Node ids an expression reads, in order."""
    if expr is None:
        return []
    if "n" in expr:
        return [str(expr["n"])]
    out: list[str] = []
    for item in expr["l"]:
        out.extend(expr_nodes(item))
    return out


def evaluate(expr: ResultExpr, results: Mapping[Any, Any]) -> Any:
    """Build the value of an expression from node results."""
    if "n" in expr:
        return results[expr["n"]]
    return [evaluate(item, results) for item in expr["l"]]


def map_expr(expr: ResultExpr | None, mapping: Mapping[str, int]) -> ResultExpr | None:
    """Rewrite the node ids of an expression (ids to indexes for storage)."""
    if expr is None:
        return None
    if "n" in expr:
        return {"n": mapping[expr["n"]]}
    return {"l": [map_expr(item, mapping) for item in expr["l"]]}


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One task of a workflow and what it waits for."""

    id: str
    task: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    dependencies: tuple[str, ...] = ()
    arg: ResultExpr | None = None
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class CompiledNode:
    """A node as stored: dependencies and children by index."""

    index: int
    spec: NodeSpec
    deps: tuple[int, ...]
    children: tuple[int, ...]
    arg: ResultExpr | None

    def definition(self) -> dict[str, Any]:
        """JSON-ready definition stored once at submit; empty fields are left out."""
        spec = self.spec
        out: dict[str, Any] = {"id": spec.id, "task": spec.task}
        # Most nodes have no arguments of their own: leaving the empty ones out keeps the
        # stored state and the submit small (readers use .get()).
        if spec.args:
            out["args"] = list(spec.args)
        if spec.kwargs:
            out["kwargs"] = dict(spec.kwargs)
        if spec.options:
            out["options"] = dict(spec.options)
        if self.deps:
            out["deps"] = list(self.deps)
        if self.arg is not None:
            out["arg"] = self.arg
        if spec.timeout is not None:
            out["timeout"] = spec.timeout
        return out


def check_id(value: str, what: str = "node id") -> str:
    """Return value when it is usable as an id, else raise InvalidIdError."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise InvalidIdError(f"invalid {what} {value!r}: 1-200 characters, no spaces or '|'")
    return value


class Dag:
    """A mutable set of nodes with dependencies; validation happens in compile()."""

    def __init__(self) -> None:
        self._nodes: dict[str, NodeSpec] = {}

    def add(self, spec: NodeSpec) -> NodeSpec:
        """Add a node; its id must be new."""
        check_id(spec.id)
        if spec.id in self._nodes:
            raise DuplicateNodeError(f"duplicate node id {spec.id!r}")
        self._nodes[spec.id] = spec
        return spec

    def replace(self, spec: NodeSpec) -> None:
        """Swap the spec of an existing node (same id) for a changed copy."""
        if spec.id not in self._nodes:
            raise UnknownDependencyError(f"no node {spec.id!r} to replace")
        self._nodes[spec.id] = spec

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    @property
    def nodes(self) -> Mapping[str, NodeSpec]:
        """Nodes by id, in insertion order."""
        return self._nodes

    def validate(self) -> None:
        """Raise on unknown dependencies and cycles."""
        self.waves()

    def waves(self) -> list[list[str]]:
        """Group nodes into waves: each wave only depends on earlier ones."""
        return waves(self._nodes.values())

    def compile(self) -> list[CompiledNode]:
        """Validate and turn the nodes into their stored, index-based form."""
        # One pass over integer indexes: this runs on every submit, so it does not go
        # through waves() and its per-id dictionaries (those only name a cycle).
        specs = list(self._nodes.values())
        index = {spec.id: i for i, spec in enumerate(specs)}
        deps: list[tuple[int, ...]] = []
        children: list[list[int]] = [[] for _ in specs]
        for i, spec in enumerate(specs):
            mine = _dep_indexes(spec, index)
            for d in mine:
                children[d].append(i)
            deps.append(mine)
        if _has_cycle(deps, children):
            waves(specs)  # raises CycleError naming the cycle
        return [
            CompiledNode(index=i, spec=spec, deps=deps[i], children=tuple(children[i]),
                         arg=None if spec.arg is None else map_expr(spec.arg, index))
            for i, spec in enumerate(specs)
        ]


def _dep_indexes(spec: NodeSpec, index: Mapping[str, int]) -> tuple[int, ...]:
    """Indexes of a node's distinct dependencies; raises on unknown ones, as waves() does."""
    if not spec.dependencies and spec.arg is None:
        return ()
    out: dict[int, None] = {}
    for dep in spec.dependencies:
        found = index.get(dep)
        if found is None:
            raise UnknownDependencyError(f"node {spec.id!r} depends on unknown node {dep!r}")
        out[found] = None
    for ref in expr_nodes(spec.arg):
        if index.get(ref) not in out:
            raise UnknownDependencyError(
                f"node {spec.id!r} takes the result of {ref!r} without depending on it")
    return tuple(out)


def _has_cycle(deps: Sequence[tuple[int, ...]], children: Sequence[list[int]]) -> bool:
    """Kahn's algorithm on indexes: True when some node is never freed."""
    remaining = [len(d) for d in deps]
    free = [i for i, count in enumerate(remaining) if count == 0]
    seen = 0
    while free:
        node = free.pop()
        seen += 1
        for child in children[node]:
            remaining[child] -= 1
            if remaining[child] == 0:
                free.append(child)
    return seen != len(deps)


def waves(specs: Iterable[NodeSpec]) -> list[list[str]]:
    """Kahn levels of the nodes; raises UnknownDependencyError or CycleError."""
    nodes = {s.id: s for s in specs}
    remaining: dict[str, int] = {}
    children: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for spec in nodes.values():
        deps = dict.fromkeys(spec.dependencies)
        for dep in deps:
            if dep not in nodes:
                raise UnknownDependencyError(f"node {spec.id!r} depends on unknown node {dep!r}")
            children[dep].append(spec.id)
        for ref in expr_nodes(spec.arg):
            if ref not in deps:
                raise UnknownDependencyError(
                    f"node {spec.id!r} takes the result of {ref!r} without depending on it")
        remaining[spec.id] = len(deps)
    wave = [node_id for node_id, count in remaining.items() if count == 0]
    out: list[list[str]] = []
    seen = 0
    while wave:
        out.append(wave)
        seen += len(wave)
        nxt: list[str] = []
        for node_id in wave:
            for child in children[node_id]:
                remaining[child] -= 1
                if remaining[child] == 0:
                    nxt.append(child)
        wave = nxt
    if seen != len(nodes):
        stuck = {node_id for node_id, count in remaining.items() if count > 0}
        raise CycleError(f"dependency cycle: {' -> '.join(_find_cycle(nodes, stuck))}")
    return out


def _find_cycle(nodes: Mapping[str, NodeSpec], stuck: set[str]) -> list[str]:
    """Walk dependencies inside the stuck set until a node repeats; that loop is a cycle."""
    current = min(stuck)
    path: list[str] = []
    position: dict[str, int] = {}
    while current not in position:
        position[current] = len(path)
        path.append(current)
        current = next(d for d in nodes[current].dependencies if d in stuck)
    return [*path[position[current]:], current]
