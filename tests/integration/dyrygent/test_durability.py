"""SIGKILL of workers mid-task and mid-dispatch: workflows still complete, nodes run once."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest
from celery import chain, chord

from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState
from dyrygent.workflows import Workflow
from tests.integration.dyrygent.conftest import Cluster
from tests.support.poll import poll

pytestmark = pytest.mark.integration


def active_nodes(c: Cluster, wf: Workflow) -> set[int]:
    """Nodes whose messages a killed worker may have held (Celery re-delivers those)."""
    return {a.index for a in c.processor.store.active(wf.id)}


def redelivered(handle: WorkflowHandle, c: Cluster, wf: Workflow) -> set[int]:
    """Nodes a worker received again after they had finished (skipped, and logged)."""
    store = c.processor.store
    return {store.index_of(wf.id, e["node"]) for e in handle.events() if e["e"] == "skipped-stale"}


def check_runs(c: Cluster, wf: Workflow, may_repeat: set[int]) -> None:
    execs = c.execs()
    runs = {i: execs.get(f"dy-{wf.id}-{i}", 0) for i in range(len(wf.nodes))}
    assert all(n >= 1 for n in runs.values()), runs
    repeated = {i for i, n in runs.items() if n > 1}
    assert repeated <= may_repeat, (repeated, may_repeat)


def test_workflow_completes_after_sigkill_of_worker_mid_task(fresh: Cluster) -> None:
    c = fresh
    worker = c.start_worker()
    wf = Workflow()
    wf.add_celery_canvas(chain(*[c.sig_i("slow", tag=f"k{i}", seconds=1.0) for i in range(4)]))
    handle = wf.apply_async()
    poll(lambda: handle.status().counts[NodeState.SUCCESS] >= 1
         and handle.status().counts[NodeState.RUNNING] == 1, timeout=60, interval=0.02,
         what=lambda _: f"one node done and the next RUNNING: {handle.status().to_dict()}")
    c.kill(worker)
    at_kill = active_nodes(c, wf)
    assert at_kill
    c.start_worker()
    assert handle.wait(timeout=120) == ["k3", []]
    check_runs(c, wf, at_kill | redelivered(handle, c, wf))


def test_workflow_completes_after_repeated_sigkill_of_the_dispatching_worker(
        fresh: Cluster) -> None:
    c = fresh
    rng = random.Random(7)
    parts = [chord([c.sig_i("t", tag=f"h{i}.{j}") for j in range(12)], c.sig("t", tag=f"b{i}"))
             for i in range(8)]
    wf = Workflow()
    wf.add_celery_canvas(chain(c.sig_i("t", tag="start"), *parts))
    worker = c.start_worker()
    handle = wf.apply_async()
    may_repeat: set[int] = set()
    for _ in range(3):
        time.sleep(rng.uniform(0.05, 0.6))
        c.kill(worker)
        may_repeat |= active_nodes(c, wf)
        worker = c.start_worker()
    result = handle.wait(timeout=180)
    assert result[0] == "b7" and len(result[1][0]) == 12
    check_runs(c, wf, may_repeat | redelivered(handle, c, wf))


@pytest.mark.parametrize("fresh", ["redis"], indirect=True)
def test_a_step_whose_worker_was_killed_runs_again_after_its_lease_not_after_an_hour(
        fresh: Cluster) -> None:
    # Redis hands a killed worker's unacknowledged messages back after its visibility
    # timeout (an hour by default, kept here): the node's lease brings the step back, and
    # the tick message the dead worker held is run by the new worker's keeper.
    c = fresh
    c.worker_env.update(DYRYGENT_TEST_VISIBILITY="3600", DYRYGENT_TEST_LEASE="2",
                        DYRYGENT_TEST_TICK_RESCUE="2")
    engine = c.processor.engine  # the client arms the first tick: the same settings
    engine.settings = dataclasses.replace(engine.settings, lease=2, tick_rescue=2)
    worker = c.start_worker()
    wf = Workflow()
    wf.add_celery_canvas(chain(c.sig_i("slow", tag="a", seconds=30.0), c.sig_i("t", tag="b")))
    handle = wf.apply_async()
    poll(lambda: handle.status().counts[NodeState.RUNNING] == 1, timeout=60, interval=0.05,
         what=lambda _: f"the first node RUNNING: {handle.status().to_dict()}")
    c.kill(worker)
    killed = time.monotonic()
    c.start_worker()
    poll(lambda: c.execs().get(f"dy-{wf.id}-0", 0) == 2, timeout=60, interval=0.1,
         what=lambda _: f"the first node to run again: {handle.events()[-5:]}")
    recovered = time.monotonic() - killed
    # The lease (2 s) plus a tick (0.5 s) and a worker's start, not the visibility timeout.
    assert recovered < 30, recovered
    expired = [e for e in handle.events() if e["e"] == "lease-expired"]
    assert [e["attempt"] for e in expired] == [2], handle.events()
    print(f"recovered {recovered:.1f} s after the kill")
