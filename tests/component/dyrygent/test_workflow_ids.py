"""Workflow ids made of host names (dashes, dots, colons) run end to end on both stores."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery, chain, chord

from dyrygent.processor import Send, parse_task_id
from dyrygent.states import NodeState, WorkflowState
from dyrygent.workflows import MAX_WORKFLOW_ID_BYTES, Workflow
from tests.component.dyrygent.conftest import Rig

app = Celery("component-ids", set_as_current=False)


@app.task
def t(*args: Any, tag: str = "") -> list[Any]:
    """Stand-in task, executed by the simulated worker."""
    return [tag, list(args)]


HOST_LIKE_IDS = [
    "replace.ceph-osd-12.dc1.1a2b3c4d",
    "fleet:ceph-osd-1-2:3-4",
    "-".join(["ceph-osd-12.dc1"] * 20)[:MAX_WORKFLOW_ID_BYTES],
]


def fails_once(tag: str) -> Any:
    """A task body in which the node tagged `tag` fails on its first attempt only."""
    def body(message: Send) -> Any:
        parsed = parse_task_id(message.task_id)
        if message.kwargs.get("tag") == tag and parsed is not None and parsed[2] == 1:
            raise ValueError(f"first attempt of {tag}")
        return [message.kwargs.get("tag", ""), message.args]
    return body


@pytest.mark.parametrize("wf_id", HOST_LIKE_IDS)
def test_a_workflow_named_after_a_dashed_host_runs_to_success(rig: Rig, wf_id: str) -> None:
    wf = Workflow(wf_id)
    wf.add_celery_canvas(chain(t.si(tag="a"), chord([t.s(tag="b"), t.s(tag="c")], t.s(tag="d"))))
    handle = wf.submit_to(rig.engine)
    rig.drain(fails_once("b"))
    assert handle.status().state == WorkflowState.FAILURE
    handle.retry()  # the second attempt of b is followed too
    rig.engine.tick(wf_id, 0)  # and the tick finds the workflow by its id
    rig.drain()
    a = ["a", []]
    assert handle.wait(timeout=1) == ["d", [[["b", [a]], ["c", [a]]]]]
    status = handle.status()
    assert status.state == WorkflowState.SUCCESS
    assert status.counts[NodeState.SUCCESS] == 4
    assert {parse_task_id(m.task_id)[0] for m in rig.broker.sent} == {wf_id}  # type: ignore[index]
    assert handle.node(wf.nodes[1].id)["attempt"] == 2  # nodes in canvas order: a, b, c, d
