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
        """JSON-ready definition stored once at submit."""
        return {
            "id": self.spec.id, "task": self.spec.task, "args": list(self.spec.args),
            "kwargs": dict(self.spec.kwargs), "options": dict(self.spec.options),
            "deps": list(self.deps), "arg": self.arg, "timeout": self.spec.timeout,
        }


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
        self.validate()
        index = {node_id: i for i, node_id in enumerate(self._nodes)}
        children: list[list[int]] = [[] for _ in index]
        for node_id, spec in self._nodes.items():
            for dep in dict.fromkeys(spec.dependencies):
                children[index[dep]].append(index[node_id])
        return [
            CompiledNode(
                index=index[node_id], spec=spec,
                deps=tuple(index[d] for d in dict.fromkeys(spec.dependencies)),
                children=tuple(children[index[node_id]]),
                arg=map_expr(spec.arg, index),
            )
            for node_id, spec in self._nodes.items()
        ]


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
