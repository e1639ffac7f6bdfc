"""A decommission rides out its host cut off over SSH during the removal.

node2's sshd is stopped while its drain runs: the removal marks its OSDs out, cannot reach
the host to stop them, and waits for it (a hold, retried every few seconds) without
purging anything. Once sshd is back, the removal stops the OSDs, purges them and ends; the
decommission ends SUCCESS with every object, each change sent once (Ceph's audit log) and
nothing of it left on the cluster. The recovery time is printed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import TIMING, WorkflowBench, bench_on
from tests.support.audit import audit_mark
from tests.support.poll import poll
from tests.support.workflows import wait_finished, wait_for_node
from workflows.move_once import Strategy

pytestmark = [pytest.mark.integration, pytest.mark.full]

WAITING = "host node2 to answer over SSH"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("unreachable"), step_lease=5.0) as made:
        yield made


def waiting_for_ssh(bench: WorkflowBench, reference: str) -> bool:
    return any(isinstance(v, dict) and v.get("waiting_for") == WAITING
               for v in bench.ledger().entries(reference).values())


@pytest.mark.timeout(900)
def test_a_decommission_waits_for_its_host_to_answer_over_ssh_and_then_removes_it(
        bench: WorkflowBench) -> None:
    objects = bench.sandbox.verify()
    plan = bench.plan("decommission", "node2", timing=TIMING,
                      strategy=Strategy.DRAIN_FILL)
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    handle = bench.submit(plan)
    sshd = bench.sandbox.service("sshd.node2")
    wait_for_node(handle, "reweight-node2", NodeState.RUNNING, timeout=120)
    sshd.stop()
    try:
        wait_for_node(handle, "remove-node2", NodeState.RUNNING, timeout=300)
        poll(lambda: waiting_for_ssh(bench, plan.reference), timeout=60, interval=0.5,
             what="the removal waiting for node2")
        time.sleep(15)  # held a while longer: still waiting, nothing purged
        assert handle.node("remove-node2")["state"] == NodeState.RUNNING
        tree = bench.tree()
        assert sorted(tree.hosts()["node2"]) == [4, 5]
    finally:
        sshd.start()
    back = time.monotonic()
    wait_for_node(handle, "remove-node2", NodeState.SUCCESS, timeout=120)
    print(f"\nnode2 answered over SSH again; its removal ended {time.monotonic() - back:.1f} s "
          "later")
    assert wait_finished(handle, 300) == WorkflowState.SUCCESS, handle.status().to_dict()
    assert "node2" not in bench.tree().hosts()
    assert bench.sandbox.verify() == objects
    bench.wait_settled(plan.reference, ["node2"], after="the decommission")
    sent = Counter(bench.changes_sent(mark))
    assert sent and max(sent.values()) == 1, sent
