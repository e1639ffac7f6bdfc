"""Building workflows client-side: ids, size of stored definitions, plan."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from celery import Celery, chain, chord

from dyrygent.errors import CycleError, InvalidIdError, UnknownDependencyError
from dyrygent.workflows import Workflow

app = Celery("build-unit", set_as_current=False)


@app.task
def t(*args: Any, tag: str = "") -> list[Any]:
    """Stand-in task; never executed here."""
    return [tag, list(args)]


def big_canvas(chords: int = 100, width: int = 100) -> Any:
    """The issue's shape: a chain of chords (10,102 nodes with 100 x 100 and two ends)."""
    parts = [t.si(tag="start")]
    for i in range(chords):
        parts.append(chord([t.si(tag=f"h{i}.{j}") for j in range(width)], t.s(tag=f"b{i}")))
    parts.append(t.s(tag="end"))
    return chain(*parts)


def test_ten_thousand_node_workflow_builds_with_small_definitions() -> None:
    wf = Workflow()
    wf.add_celery_canvas(big_canvas())
    nodes = wf.dag.compile()
    assert len(nodes) == 10_102
    assert len(wf.plan()) == 202
    # Each stored definition is tiny and independent of the workflow size.
    assert max(len(json.dumps(n.definition())) for n in nodes) < 4096


def test_add_signature_builds_any_dag() -> None:
    wf = Workflow()
    a = wf.add_signature(t.si(tag="a"), node_id="a")
    b = wf.add_signature(t.si(tag="b"), dependencies=[a])
    c = wf.add_signature(t.si(tag="c"), dependencies=[a])
    wf.add_signature(t.si(tag="d"), dependencies=[b, c], node_id="d")
    assert wf.plan() == [["a"], [b, c], ["d"]]


def test_cycles_and_unknown_dependencies_fail_the_plan() -> None:
    wf = Workflow()
    wf.add_signature(t.si(), dependencies=["y"], node_id="x")
    wf.add_signature(t.si(), dependencies=["x"], node_id="y")
    with pytest.raises(CycleError):
        wf.plan()
    wf2 = Workflow()
    wf2.add_signature(t.si(), dependencies=["nope"])
    with pytest.raises(UnknownDependencyError):
        wf2.plan()


@pytest.mark.parametrize("wf_id", [
    "replace.ceph-osd-12.dc1.1a2b3c4d", "fleet-retire:rack-7", "ok_id.1", "9-9-9", "x" * 200,
    "é" * 100,
])
def test_workflow_ids_may_hold_dashes_dots_and_colons(wf_id: str) -> None:
    assert Workflow(wf_id).id == wf_id


@pytest.mark.parametrize(("wf_id", "why"), [
    ("", "empty"), ("x" * 201, "201 bytes long, at most 200"), ("é" * 101, "202 bytes"),
    ("has space", "' ' at 3"), ("tab\there", "'\\t' at 3"), ("a{b}", "'{' at 1"),
    ("nul\x00", "'\\x00' at 3"), ("\ud800", "not valid UTF-8"),
])
def test_unusable_workflow_ids_are_refused_saying_why(wf_id: str, why: str) -> None:
    with pytest.raises(InvalidIdError, match=re.escape(why)):
        Workflow(wf_id)


def test_a_workflow_without_an_id_gets_a_fresh_one() -> None:
    assert Workflow().id != Workflow().id
