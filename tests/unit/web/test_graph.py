"""The steps' graph: each step one layer below the deepest step it runs after, steps of a
layer side by side under their parents, every dependency an edge between two boxes."""

from __future__ import annotations

from cephmaint.web.graph import (
    BOX_HEIGHT,
    BOX_WIDTH,
    GAP_Y,
    LABEL_CHARS,
    Node,
    depths,
    fit,
    graph_of,
    layers,
    layout,
)


def node(node_id: str, *after: str) -> Node:
    return Node(node_id, f"title of {node_id}", "PENDING", after)


def test_a_chain_is_one_step_per_layer() -> None:
    nodes = [node("a"), node("b", "a"), node("c", "b")]
    assert layers(nodes) == [["a"], ["b"], ["c"]]
    drawn = layout(nodes)
    assert [box.y for box in drawn.boxes] == [6, 6 + BOX_HEIGHT + GAP_Y,
                                              6 + 2 * (BOX_HEIGHT + GAP_Y)]
    assert len({box.x for box in drawn.boxes}) == 1
    assert drawn.width == BOX_WIDTH + 12


def test_a_step_sits_below_the_deepest_step_it_runs_after() -> None:
    nodes = [node("check"), node("drain", "check"), node("wait", "drain"),
             node("remove", "check", "wait")]
    assert depths(nodes) == {"check": 0, "drain": 1, "wait": 2, "remove": 3}


def test_steps_running_side_by_side_share_a_layer_under_their_parents() -> None:
    nodes = [node("start"), node("left"), node("a", "start"), node("b", "left"),
             node("join", "a", "b")]
    assert layers(nodes) == [["start", "left"], ["a", "b"], ["join"]]
    # Parents swapped: their children follow them, so that edges do not cross.
    swapped = [node("start"), node("left"), node("b", "left"), node("a", "start")]
    assert layers(swapped) == [["start", "left"], ["a", "b"]]
    drawn = {box.id: box for box in layout(nodes).boxes}
    assert drawn["a"].x < drawn["b"].x and drawn["a"].y == drawn["b"].y
    assert drawn["start"].x < drawn["join"].x < drawn["b"].x + BOX_WIDTH


def test_every_dependency_is_an_edge_from_the_bottom_of_one_box_to_the_top_of_the_next(
        ) -> None:
    drawn = graph_of([("a", "A", "SUCCESS"), ("b", "B", "RUNNING")], {"b": ["a"]})
    [edge] = drawn.edges
    a, b = drawn.boxes
    assert (edge.source, edge.target) == ("a", "b")
    assert edge.path.startswith(f"M{a.x + BOX_WIDTH // 2},{a.y + BOX_HEIGHT} ")
    assert edge.path.endswith(f" {b.x + BOX_WIDTH // 2},{b.y}")
    assert (a.state, b.state, b.title) == ("success", "running", "B (running)")


def test_unknown_dependencies_and_cycles_still_draw() -> None:
    nodes = [node("a", "ghost"), node("b", "c"), node("c", "b")]
    found = depths(nodes)
    assert found["a"] == 0 and set(found) == {"a", "b", "c"}
    assert len(layout(nodes).boxes) == 3


def test_no_step_no_graph() -> None:
    drawn = layout([])
    assert (drawn.boxes, drawn.edges) == ((), ())


def test_long_labels_are_cut_and_say_so() -> None:
    assert fit("x" * LABEL_CHARS) == "x" * LABEL_CHARS
    cut = fit("y" * (LABEL_CHARS + 5))
    assert len(cut) == LABEL_CHARS and cut.endswith("\u2026")
