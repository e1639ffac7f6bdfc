"""A workflow's steps laid out as a graph for an SVG drawn on the server (pure).

Each step sits on the layer of its dependency depth (a step one below the deepest of the
steps it runs after), top to bottom; steps of one layer run side by side, ordered by where
their parents sit so that edges cross little. The template draws the boxes and edges; all
text goes through its escaping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: A box's size and the gaps between boxes, in SVG units (pixels at scale 1).
BOX_WIDTH = 230
BOX_HEIGHT = 34
GAP_X = 20
GAP_Y = 22
MARGIN = 6
#: Characters of a label that fit in a box (12px monospace).
LABEL_CHARS = 30


@dataclass(frozen=True)
class Node:
    """A step as the graph needs it."""

    id: str
    title: str
    state: str
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Box:
    """A step's box: where it is, what it says, and its state (a style class)."""

    id: str
    label: str
    title: str
    state: str
    x: int
    y: int
    width: int = BOX_WIDTH
    height: int = BOX_HEIGHT


@dataclass(frozen=True)
class Edge:
    """A dependency, from the bottom of one box to the top of the next, as an SVG path."""

    source: str
    target: str
    path: str


@dataclass(frozen=True)
class Layout:
    """The boxes and edges of a graph, and the size they take."""

    width: int
    height: int
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]


def depths(nodes: Sequence[Node]) -> dict[str, int]:
    """Each node's layer: 0 without dependencies, else one below its deepest dependency.

    Unknown dependencies are ignored; a cycle (which no stored workflow has) is cut at its
    first node, so that a damaged definition still draws.
    """
    known = {n.id for n in nodes}
    parents = {n.id: [p for p in n.after if p in known and p != n.id] for n in nodes}
    found: dict[str, int] = {}
    pending = [n.id for n in nodes]
    while pending:
        left = []
        for node in pending:
            if all(p in found for p in parents[node]):
                found[node] = 1 + max((found[p] for p in parents[node]), default=-1)
            else:
                left.append(node)
        if len(left) == len(pending):
            cut = left.pop(0)
            found[cut] = 1 + max((found[p] for p in parents[cut] if p in found), default=-1)
        pending = left
    return found


def layers(nodes: Sequence[Node]) -> list[list[str]]:
    """The nodes' ids by layer, each layer ordered by where its nodes' parents sit."""
    layer_of = depths(nodes)
    order = {n.id: i for i, n in enumerate(nodes)}
    count = max(layer_of.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for node in nodes:
        rows[layer_of[node.id]].append(node.id)
    after = {n.id: n.after for n in nodes}
    place: dict[str, float] = {}
    for row in rows:
        def key(node_id: str) -> tuple[float, int]:
            parents = [place[p] for p in after[node_id] if p in place]
            centre = sum(parents) / len(parents) if parents else float(order[node_id])
            return centre, order[node_id]
        row.sort(key=key)
        place.update({node_id: float(i) for i, node_id in enumerate(row)})
    return rows


def fit(text: str, chars: int = LABEL_CHARS) -> str:
    """text cut to chars characters, an ellipsis saying that it was."""
    return text if len(text) <= chars else text[:chars - 1] + "\u2026"


def layout(nodes: Sequence[Node]) -> Layout:
    """Where each box and edge goes."""
    rows = layers(nodes)
    widest = max((len(row) for row in rows), default=0)
    width = 2 * MARGIN + widest * BOX_WIDTH + max(widest - 1, 0) * GAP_X
    height = 2 * MARGIN + len(rows) * BOX_HEIGHT + max(len(rows) - 1, 0) * GAP_Y
    by_id = {n.id: n for n in nodes}
    boxes: dict[str, Box] = {}
    for depth, row in enumerate(rows):
        used = len(row) * BOX_WIDTH + (len(row) - 1) * GAP_X
        left = MARGIN + (width - 2 * MARGIN - used) // 2
        for i, node_id in enumerate(row):
            node = by_id[node_id]
            boxes[node_id] = Box(node.id, fit(node.id), f"{node.title} ({node.state.lower()})",
                                 node.state.lower(), left + i * (BOX_WIDTH + GAP_X),
                                 MARGIN + depth * (BOX_HEIGHT + GAP_Y))
    edges = tuple(Edge(parent, node.id, _curve(boxes[parent], boxes[node.id]))
                  for node in nodes for parent in node.after
                  if parent in boxes and parent != node.id)
    return Layout(width, height, tuple(boxes[n.id] for n in nodes), edges)


def graph_of(steps: Sequence[tuple[str, str, str]], after: Mapping[str, Sequence[str]]
             ) -> Layout:
    """The layout of steps given as (id, title, state), with what each runs after."""
    return layout([Node(i, title, state, tuple(after.get(i, ()))) for i, title, state in steps])


def _curve(source: Box, target: Box) -> str:
    x1, y1 = source.x + source.width // 2, source.y + source.height
    x2, y2 = target.x + target.width // 2, target.y
    bend = max((y2 - y1) // 2, GAP_Y // 2)
    return f"M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 - bend} {x2},{y2}"
