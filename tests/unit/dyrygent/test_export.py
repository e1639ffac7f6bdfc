"""Graph export to DOT, Mermaid and JSON."""

from __future__ import annotations

import json

from dyrygent.dag import NodeSpec
from dyrygent.export import to_dot, to_json, to_mermaid

NODES = [NodeSpec("a", "pkg.first"), NodeSpec("b", "pkg.second", dependencies=("a",)),
         NodeSpec('c"q', "pkg.third", dependencies=("a", "b"))]


def test_dot_lists_every_node_and_edge() -> None:
    dot = to_dot(NODES, "wf1")
    assert dot.startswith('digraph "wf1" {')
    assert '"a" -> "b";' in dot
    assert '"b" -> "c\\"q";' in dot
    assert dot.count("[label=") == 3


def test_mermaid_uses_safe_ids_and_keeps_names_as_labels() -> None:
    text = to_mermaid(NODES)
    assert text.splitlines()[0] == "flowchart TD"
    assert '  n0["a: pkg.first"]' in text
    assert "  n0 --> n2" in text and "  n1 --> n2" in text
    assert "#quot;" in text


def test_json_round_trips_nodes_and_edges() -> None:
    doc = json.loads(to_json(NODES))
    assert [n["id"] for n in doc["nodes"]] == ["a", "b", 'c"q']
    assert ["a", 'c"q'] in doc["edges"]
    assert len(doc["edges"]) == 3
