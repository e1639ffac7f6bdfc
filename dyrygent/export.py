"""Export a workflow graph to DOT, Mermaid and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable

from dyrygent.dag import NodeSpec


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(nodes: Iterable[NodeSpec], name: str = "workflow") -> str:
    """Graphviz DOT text of the graph."""
    nodes = list(nodes)
    lines = [f"digraph {_quote(name)} {{", "  rankdir=LR;"]
    for spec in nodes:
        lines.append(f"  {_quote(spec.id)} [label={_quote(spec.id + chr(10) + spec.task)}];")
    for spec in nodes:
        for dep in spec.dependencies:
            lines.append(f"  {_quote(dep)} -> {_quote(spec.id)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(nodes: Iterable[NodeSpec]) -> str:
    """Mermaid flowchart text of the graph."""
    nodes = list(nodes)
    # Mermaid ids must be simple words, so nodes get positional ids and keep names as labels.
    ids = {spec.id: f"n{i}" for i, spec in enumerate(nodes)}
    lines = ["flowchart TD"]
    for spec in nodes:
        label = f"{spec.id}: {spec.task}".replace('"', "#quot;")
        lines.append(f'  {ids[spec.id]}["{label}"]')
    for spec in nodes:
        for dep in spec.dependencies:
            lines.append(f"  {ids[dep]} --> {ids[spec.id]}")
    return "\n".join(lines) + "\n"


def to_json(nodes: Iterable[NodeSpec]) -> str:
    """JSON document with nodes and edges of the graph."""
    nodes = list(nodes)
    doc = {
        "nodes": [{"id": s.id, "task": s.task, "dependencies": list(s.dependencies)}
                  for s in nodes],
        "edges": [[dep, s.id] for s in nodes for dep in s.dependencies],
    }
    return json.dumps(doc, indent=2, sort_keys=True)
