"""Workflows on real prefork workers, with Redis and with RabbitMQ as the broker."""

from __future__ import annotations

import time

import pytest
from celery import chain, chord, group

from dyrygent.errors import WorkflowCancelledError, WorkflowFailedError
from dyrygent.states import NodeState, WorkflowState
from dyrygent.workflows import Workflow
from tests.integration.dyrygent.conftest import Cluster
from tests.support.poll import poll
from tests.support.workflows import wait_for_node

pytestmark = pytest.mark.integration


def test_chain_of_chords_matches_celery_and_runs_each_node_once(shared: Cluster) -> None:
    c = shared
    canvas = chain(c.sig_i("t", tag="a"),
                   chord([c.sig("t", tag=f"h{i}") for i in range(5)], c.sig("t", tag="b")),
                   group(c.sig("t", tag="g1"), c.sig_i("t", tag="g2")), c.sig("t", tag="end"))
    expected = canvas.clone().apply_async().get(timeout=60)
    wf = Workflow()
    wf.add_celery_canvas(canvas)
    handle = wf.apply_async()
    assert handle.wait(timeout=60) == expected
    execs = c.execs()
    assert [execs[f"dy-{wf.id}-{i}"] for i in range(len(wf.nodes))] == [1] * len(wf.nodes)


def test_failed_node_stops_the_workflow_and_retry_finishes_it(shared: Cluster) -> None:
    c = shared
    wf = Workflow()
    wf.add_celery_canvas(chain(c.sig_i("t", tag="first"), c.sig_i("boom", tag=f"b{id(wf)}"),
                               c.sig("t", tag="after")))
    handle = wf.apply_async()
    with pytest.raises(WorkflowFailedError, match="boom") as info:
        handle.wait(timeout=60)
    (node, error), = info.value.failed.items()
    assert error["type"] == "ValueError"
    assert handle.status().counts[NodeState.PENDING] == 1  # "after" never dispatched
    c.redis.set(f"{c.prefix}:heal:b{id(wf)}", "1")
    handle.retry()
    assert handle.wait(timeout=60) == ["after", [f"healed b{id(wf)}"]]
    assert handle.node(node)["attempt"] == 2


def test_self_retry_keeps_the_node_running_until_done(shared: Cluster) -> None:
    c = shared
    wf = Workflow()
    tag = f"u{id(wf)}"
    wf.add_celery_canvas(chain(c.sig_i("until", tag=tag, times=4), c.sig("t", tag="next")))
    handle = wf.apply_async()
    assert handle.wait(timeout=60) == ["next", [f"{tag} after 4"]]
    assert [e["e"] for e in handle.events()].count("retry") == 3


def test_cancel_revokes_the_running_node(shared: Cluster) -> None:
    c = shared
    wf = Workflow()
    wf.add_celery_canvas(chain(c.sig_i("slow", tag="long", seconds=30), c.sig("t", tag="never")))
    handle = wf.apply_async()
    poll(lambda: handle.status().counts[NodeState.RUNNING] == 1, timeout=30, interval=0.05,
         what=lambda _: f"one node RUNNING: {handle.status().to_dict()}")
    handle.cancel()
    with pytest.raises(WorkflowCancelledError):
        handle.wait(timeout=10)
    assert handle.status().counts[NodeState.CANCELLED] == 2


def test_pause_holds_new_dispatches_until_resume(shared: Cluster) -> None:
    c = shared
    wf = Workflow()
    wf.add_celery_canvas(chain(c.sig_i("slow", tag="p1", seconds=0.5), c.sig("t", tag="p2")))
    handle = wf.apply_async()
    handle.pause()
    poll(lambda: handle.status().counts[NodeState.SUCCESS] == 1, timeout=30, interval=0.05,
         what=lambda _: f"one node SUCCESS: {handle.status().to_dict()}")
    time.sleep(1.0)  # give a wrongly dispatched node the chance to show up
    status = handle.status()
    assert status.state == WorkflowState.PAUSED
    assert status.counts[NodeState.READY] == 1
    handle.resume()
    assert handle.wait(timeout=60)[0] == "p2"


def test_node_timeout_fails_a_node_that_runs_too_long(shared: Cluster) -> None:
    c = shared
    wf = Workflow(node_timeout=1.0)
    wf.add_celery_canvas(c.sig_i("slow", tag="stuck", seconds=30))
    handle = wf.apply_async()
    with pytest.raises(WorkflowFailedError, match="timeout"):
        handle.wait(timeout=60)


def test_running_nodes_never_exceed_the_limit(shared: Cluster) -> None:
    c = shared
    wf = Workflow(max_running=1)
    wf.add_celery_canvas(group(*[c.sig_i("slow", tag=f"m{i}", seconds=0.2) for i in range(4)]))
    handle = wf.apply_async()
    assert len(handle.wait(timeout=60)) == 4
    active = peak = 0
    for event in handle.events():
        if event.get("state") == "DISPATCHED":
            active += 1
        elif event.get("state") in ("SUCCESS", "FAILURE"):
            active -= 1
        peak = max(peak, active)
    assert peak == 1


def test_any_process_can_follow_a_workflow_by_id(shared: Cluster) -> None:
    c = shared
    wf = Workflow()
    wf.add_signature(c.sig_i("t", tag="solo"), node_id="solo")
    wf.apply_async()
    other = c.processor.handle(wf.id)
    assert other.wait(timeout=60) == ["solo", []]
    assert other.node_result("solo") == ["solo", []]


def test_finish_hook_of_the_app_runs_in_the_worker(shared: Cluster) -> None:
    c = shared
    wf = Workflow()
    wf.add_celery_canvas(chain(c.sig_i("t", tag="h1"), c.sig("t", tag="h2")))
    wf.apply_async().wait(timeout=60)
    poll(lambda: f"{wf.id} SUCCESS" in c.redis.lrange(f"{c.prefix}:finished", 0, -1),
         timeout=30, interval=0.05,
         what=lambda _: f"the finish hook: {c.redis.lrange(f'{c.prefix}:finished', 0, -1)}")


def test_a_task_revoked_from_outside_fails_its_node(shared: Cluster) -> None:
    from dyrygent.processor import task_id

    c = shared
    wf = Workflow()
    wf.add_signature(c.sig_i("slow", tag="victim", seconds=30), node_id="victim")
    handle = wf.apply_async()
    wait_for_node(handle, "victim", NodeState.RUNNING, timeout=30)
    c.app.control.revoke(task_id(wf.id, 0, 1), terminate=True)
    with pytest.raises(WorkflowFailedError, match="TaskRevokedError"):
        handle.wait(timeout=60)


def test_wide_chord_body_gets_all_results_through_the_store(shared: Cluster) -> None:
    c = shared
    canvas = chord([c.sig_i("t", tag=f"w{i:03}") for i in range(300)], c.sig("t", tag="body"))
    wf = Workflow()
    wf.add_celery_canvas(canvas)
    result = wf.apply_async().wait(timeout=120)
    assert result == ["body", [[[f"w{i:03}", []] for i in range(300)]]]


def test_thousand_node_workflow_with_duplicate_processor_messages_runs_each_node_once(
        shared: Cluster) -> None:
    c = shared
    parts = [chord([c.sig_i("t", tag=f"d{i}.{j}") for j in range(100)], c.sig("t", tag=f"e{i}"))
             for i in range(10)]
    wf = Workflow()
    wf.add_celery_canvas(chain(c.sig_i("t", tag="start"), *parts, c.sig("t", tag="end")))
    handle = wf.apply_async()
    for seq in range(5):  # duplicated and re-delivered processor messages
        for _ in range(3):
            c.app.send_task("dyrygent.process", args=[wf.id, seq])
    assert handle.wait(timeout=300)[0] == "end"
    execs = c.execs()
    assert len(wf.nodes) == 1012
    assert all(execs[f"dy-{wf.id}-{i}"] == 1 for i in range(len(wf.nodes)))
