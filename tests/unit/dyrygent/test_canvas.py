"""Canvas conversion: structure, result passing and unsupported types."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery, chain, chord, group
from hypothesis import given, settings

from dyrygent.dag import evaluate
from dyrygent.errors import UnsupportedCanvasError
from dyrygent.workflows import Workflow
from tests.support.dyrygent_canvases import build, reference, shapes

app = Celery("canvas-unit", set_as_current=False)


@app.task
def t(*args: Any, tag: str = "") -> list[Any]:
    """Stand-in task; never executed here."""
    return [tag, list(args)]


def run_in_memory(wf: Workflow) -> Any:
    """Execute the DAG wave by wave with t's body, the way dyrygent passes results."""
    results: dict[str, Any] = {}
    for wave in wf.plan():
        for node_id in wave:
            spec = wf.dag.nodes[node_id]
            args = list(spec.args)
            if spec.arg is not None:
                args.insert(0, evaluate(spec.arg, results))
            results[node_id] = [spec.kwargs.get("tag", ""), args]
    assert wf.result_expr is not None
    return evaluate(wf.result_expr, results)


@settings(max_examples=200, deadline=None)
@given(shapes)
def test_converted_canvas_passes_results_like_celery_semantics(shape: Any) -> None:
    canvas = build(shape, t)
    wf = Workflow()
    wf.add_celery_canvas(canvas)
    assert run_in_memory(wf) == reference(canvas)


def test_partial_signature_in_chain_receives_previous_result() -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.s(tag="a"), t.s(1, tag="b")))
    a, b = wf.nodes
    assert b.dependencies == (a.id,)
    assert b.arg == {"n": a.id}
    assert b.args == (1,)


def test_immutable_signature_receives_nothing_but_still_waits() -> None:
    wf = Workflow()
    wf.add_celery_canvas(chain(t.s(tag="a"), t.si(tag="b")))
    a, b = wf.nodes
    assert b.dependencies == (a.id,)
    assert b.arg is None


def test_chord_body_receives_ordered_header_results() -> None:
    wf = Workflow()
    wf.add_celery_canvas(chord([t.si(tag="a"), t.si(tag="b")], t.s(tag="c")))
    a, b, c = wf.nodes
    assert set(c.dependencies) == {a.id, b.id}
    assert c.arg == {"l": [{"n": a.id}, {"n": b.id}]}


def test_group_followed_by_task_behaves_as_chord() -> None:
    wf = Workflow()
    wf.add_celery_canvas(group(t.si(tag="a"), t.si(tag="b")) | t.s(tag="c"))
    a, b, c = wf.nodes
    assert set(c.dependencies) == {a.id, b.id}
    assert c.arg == {"l": [{"n": a.id}, {"n": b.id}]}
    assert wf.plan() == [[a.id, b.id], [c.id]]


def test_canvas_can_follow_explicit_dependencies() -> None:
    wf = Workflow()
    first = wf.add_signature(t.si(tag="first"), node_id="first")
    wf.add_celery_canvas(group(t.si(tag="a"), t.si(tag="b")), dependencies=[first])
    assert wf.plan() == [["first"], [n.id for n in wf.nodes[1:]]]


@pytest.mark.parametrize("canvas,name", [
    (t.chunks([(1,), (2,)], 1), "chunks"),
    (t.map([1, 2]), "xmap"),
    (t.starmap([(1,), (2,)]), "xstarmap"),
])
def test_unsupported_canvas_types_are_named(canvas: Any, name: str) -> None:
    with pytest.raises(UnsupportedCanvasError, match=name):
        Workflow().add_celery_canvas(canvas)


def test_routing_options_survive_but_canvas_plumbing_does_not() -> None:
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a").set(queue="maint", link=t.si(tag="x"), priority=3))
    assert dict(wf.nodes[0].options) == {"queue": "maint", "priority": 3}


def test_node_timeout_default_applies_to_canvas_nodes() -> None:
    wf = Workflow(node_timeout=30)
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    assert [n.timeout for n in wf.nodes] == [30, 30]


def test_group_nested_in_group_is_flattened_like_celery() -> None:
    wf = Workflow()
    wf.add_celery_canvas(group(group(t.si(tag="a"), t.si(tag="b")), t.si(tag="c")))
    assert run_in_memory(wf) == [["a", []], ["b", []], ["c", []]]
