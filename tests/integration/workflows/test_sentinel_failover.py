"""A decommission whose broker and state live on a Redis Sentinel group rides out a failover
during its drain.

A primary, two replicas and three sentinels (Debian's redis-sentinel) on loopback; each
workflow transition waits until a replica holds it. The primary is killed (SIGKILL)
while the drain runs: the sentinels promote a replica, the worker and the client find
it, the old primary rejoins as a replica. Every event recorded before the kill is still
there, the decommission ends SUCCESS with every object, each weight and `osd out` sent
once (Ceph's audit log), and nothing of it left on the cluster.
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
from tests.support.services import SentinelGroup, sentinel_group
from tests.support.workflows import wait_finished, wait_for_node
from workflows.move_once import Strategy

pytestmark = [pytest.mark.integration, pytest.mark.full]

LEASE = 5.0


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelGroup]:
    with sentinel_group(tmp_path_factory.mktemp("sentinel")) as made:
        yield made


@pytest.fixture(scope="module")
def bench(group: SentinelGroup,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("failover"), step_lease=LEASE,
                  broker_url=group.url, redis_url=group.url, state_replicas=1) as made:
        yield made


@pytest.mark.timeout(900)
def test_a_decommission_rides_out_a_sentinel_failover_during_its_drain(
        group: SentinelGroup, bench: WorkflowBench) -> None:
    objects = bench.sandbox.verify()
    plan = bench.plan("decommission", "node2", timing=TIMING,
                      strategy=Strategy.DRAIN_FILL)
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    handle = bench.submit(plan)
    wait_for_node(handle, "reweight-node2", NodeState.RUNNING, timeout=120)
    assert handle.node("reweight-node2")["state"] == NodeState.RUNNING
    before = handle.events()
    killed = group.primary()

    killed_at = time.monotonic()
    promoted = group.fail_over()
    assert group.primary() is not killed
    seen = len([e for e in before if e.get("node") == "reweight-node2"])
    poll(lambda: len([e for e in handle.events() if e.get("node") == "reweight-node2"]) > seen,
         timeout=120, interval=0.2, what="the drain going on after the failover")
    print(f"\nthe sentinels promoted a replica {promoted:.1f} s after the primary died; "
          f"the drain went on {time.monotonic() - killed_at:.1f} s after the kill")

    assert wait_finished(handle, 600) == WorkflowState.SUCCESS, handle.status().to_dict()
    assert handle.events()[:len(before)] == before
    assert bench.sandbox.verify() == objects
    bench.wait_settled(plan.reference, ["node2"], after="the decommission")
    sent = Counter(bench.changes_sent(mark))
    assert sent and max(sent.values()) == 1, sent
