"""A replacement whose worker is killed (SIGKILL, its whole process group) in every step in
turn, a new worker started each time.

The sandbox's Redis keeps the default visibility timeout (an hour): what the dead worker
held comes back through the step's lease (5 s here) and the tick's rescue, not through
Redis. Steps that end in less than the test's look (a flag set, a downtime set) may be
over before they are seen running; every step that was seen running was killed once. The
replacement ends SUCCESS with every object, each move sent once (Ceph's audit log), and
nothing of it left on the cluster; each kill's recovery is printed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import TIMING, WorkflowBench, bench_on
from tests.support.audit import audit_mark
from tests.support.poll import poll
from tests.support.worker import celery_worker
from tests.support.workflows import wait_finished
from workflows.move_once import Strategy

pytestmark = [pytest.mark.integration, pytest.mark.full]

SPARE = "spare-3.dc1"
LEASE = 5.0
#: Steps a replacement spends minutes in: each must have been killed.
LONG = ("reweight-node2", "confirm-node2", f"reweight-{SPARE}")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("kills"), step_lease=LEASE) as made:
        yield made


def events_of(handle: WorkflowHandle, node: str) -> int:
    return len([e for e in handle.events() if e.get("node") == node])


@pytest.mark.timeout(1500)
def test_a_replacement_ends_though_its_worker_is_killed_in_every_step(
        bench: WorkflowBench) -> None:
    objects = bench.sandbox.verify()
    plan = bench.plan("replace", "node2", new_host=SPARE, timing=TIMING,
                      strategy=Strategy.DRAIN_FILL)
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    assert bench.worker is not None
    worker = bench.worker
    handle = bench.submit(plan)
    recovered: dict[str, float] = {}
    missed: list[str] = []
    with contextlib.ExitStack() as workers:
        for number, step in enumerate(plan.steps, 1):
            state = poll(lambda step=step: _running_or_past(handle, step.id), timeout=600,
                         interval=0.05, what=lambda _, s=step: f"{s.id} running: "
                         f"{handle.status().to_dict()}")
            if state != NodeState.RUNNING:
                missed.append(step.id)
                continue
            seen = events_of(handle, step.id)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
            killed = time.monotonic()
            worker = workers.enter_context(celery_worker(
                "cephmaint.worker:app", bench.logdir, bench.env, name=f"w{number}"))
            if step.id == "confirm-node2":
                confirmed = bench.cli("confirm", plan.reference, "--by", "tech")
                assert confirmed.returncode == 0, confirmed.stderr
            poll(lambda step=step, seen=seen: events_of(handle, step.id) > seen
                 or handle.status().state.finished, timeout=180, interval=0.1,
                 what=lambda _, s=step: f"{s.id} going on after the kill")
            recovered[step.id] = time.monotonic() - killed
        assert wait_finished(handle, 600) == WorkflowState.SUCCESS, handle.status().to_dict()
        # The last worker stays up: the guardian drops the ledger's copies after the end.
        bench.wait_settled(plan.reference, ["node2", SPARE], after="the replacement")
    print("\n" + "\n".join(f"{step}: went on {seconds:.1f} s after its worker was killed"
                           for step, seconds in recovered.items())
          + f"\nover before they were seen running: {', '.join(missed) or 'none'}")
    assert set(LONG) <= set(recovered), recovered
    assert bench.sandbox.verify() == objects
    sent = bench.changes_sent(mark)
    # The spare's new OSDs take the ids node2's had: its fill is counted apart from the drain.
    removal = next(i for i, m in enumerate(sent) if '"prefix": "osd out"' in m)
    for part in (sent[:removal], sent[removal:]):
        changes = Counter(part)
        assert changes and max(changes.values()) == 1, changes


def _running_or_past(handle: WorkflowHandle, node: str) -> NodeState | None:
    """The node's state once it runs or has ended; None while it waits."""
    state = NodeState(handle.node(node)["state"])
    waiting = (NodeState.PENDING, NodeState.READY, NodeState.DISPATCHED)
    return None if state in waiting else state
