"""Weight steps hold while clients feel the cluster, on a fake cluster, and go on when clear.

The sandbox shows real slow ops; here the readings are set at will: slow ops captured on the
sandbox, OSD latency that memstore never reports, a Prometheus answer and its failure.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.errors import DeadlineExceeded, MonitoringError
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.reweight import reweight
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import ClientImpact, Inventory, PrometheusCheck
from tests.component.ceph_tasks import test_data_movement_tasks as movement

REF = "maint-impact"
QUERY = "max(ceph_osd_apply_latency_ms)"
PROM = "http://prom.example:9090"


def with_impact(inventory: Inventory, impact: ClientImpact) -> Inventory:
    cluster = inventory.clusters[0].model_copy(update={"client_impact": impact})
    return inventory.model_copy(update={"clusters": (cluster,)})


class FakeQuery:
    """A Prometheus that answers each query with the value (or the error) set."""

    def __init__(self) -> None:
        self.value: float | None = None
        self.error: MonitoringError | None = None
        self.asked: list[tuple[str, str]] = []
        self.url = ""

    def __call__(self, url: str) -> FakeQuery:
        self.url = url
        return self

    def largest(self, query: str) -> float | None:
        self.asked.append((self.url, query))
        if self.error is not None:
            raise self.error
        return self.value


@pytest.fixture
def cluster() -> movement.FakeCluster:
    return movement.FakeCluster()


@pytest.fixture
def prometheus() -> FakeQuery:
    return FakeQuery()


@pytest.fixture
def context(cluster: movement.FakeCluster, prometheus: FakeQuery,
            task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=movement.inventory(), ledger=MemoryLedger(),
                      executor=FakeExecutor(), ceph_factory=lambda _: cluster.client,
                      query_factory=prometheus)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def drain(**kwargs: Any) -> None:
    reweight(cluster="c1", reference=REF, host="node2", target=0, step=0.5, **kwargs)


def held_because(**kwargs: Any) -> str:
    """The reason a run holds, read from the deadline error of a run with no time left."""
    with pytest.raises(DeadlineExceeded) as caught:
        drain(timeout=0, **kwargs)
    return str(caught.value).split("last seen: ", 1)[1]


def latencies(cluster: movement.FakeCluster, **by_osd: float) -> None:
    cluster.client.answer("osd perf", {"osdstats": {"osd_perf_infos": [
        {"id": int(name.removeprefix("osd")),
         "perf_stats": {"commit_latency_ms": value, "apply_latency_ms": 1}}
        for name, value in by_osd.items()]}})


def test_slow_ops_hold_the_step_and_it_goes_on_when_they_clear(
        context: TaskContext, cluster: movement.FakeCluster) -> None:
    cluster.in_state("slow_ops")
    with pytest.raises(Retry):
        drain()
    assert cluster.reweights() == []
    assert held_because() == "holding: slow ops on osd.1, osd.3, osd.4 for 42 s"
    assert cluster.reweights() == []

    cluster.in_state("healthy")
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == cluster.weight(5) == 0.5


def test_osd_latency_over_the_inventorys_limit_holds_naming_the_osd(
        context: TaskContext, cluster: movement.FakeCluster) -> None:
    context.inventory = with_impact(movement.inventory(), ClientImpact(max_osd_latency_ms=200))
    latencies(cluster, osd0=3, osd3=850)
    assert held_because() == "holding: osd.3 commit latency 850 ms over 200 ms"
    assert cluster.reweights() == []

    latencies(cluster, osd0=3, osd3=150)
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == 0.5


def test_a_prometheus_value_over_the_threshold_or_no_answer_holds(
        context: TaskContext, cluster: movement.FakeCluster, prometheus: FakeQuery) -> None:
    check = PrometheusCheck(url=PROM, query=QUERY, threshold=100)
    context.inventory = with_impact(movement.inventory(), ClientImpact(prometheus=check))
    prometheus.value = 250
    assert held_because() == f"holding: prometheus {QUERY} = 250 over 100"
    prometheus.value, prometheus.error = None, MonitoringError("GET failed: ConnectionError")
    assert held_because() == f"holding: prometheus {QUERY} unreadable: GET failed: ConnectionError"
    assert cluster.reweights() == []
    assert prometheus.asked == [(PROM, QUERY)] * 2

    prometheus.value, prometheus.error = 20, None
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == 0.5


def test_while_waiting_for_backfill_the_client_impact_is_reported_too(
        context: TaskContext, cluster: movement.FakeCluster) -> None:
    status = json.loads((movement.FIXTURES / "draining" / "status.json").read_text())
    slow = json.loads((movement.FIXTURES / "slow_ops" / "status.json").read_text())
    status["health"]["checks"]["SLOW_OPS"] = copy.deepcopy(slow["health"]["checks"]["SLOW_OPS"])
    cluster.client.answer("status", status)
    seen = held_because()
    assert "holding: slow ops on osd.1, osd.3, osd.4 for 42 s" in seen
    assert "PGs are moving data, the cap is 4" in seen
    assert cluster.reweights() == []


def test_a_cluster_that_does_not_hold_on_slow_ops_steps_through_them(
        context: TaskContext, cluster: movement.FakeCluster) -> None:
    context.inventory = with_impact(movement.inventory(), ClientImpact(hold_on_slow_ops=False))
    cluster.in_state("slow_ops")
    with pytest.raises(Retry):
        drain()
    assert cluster.weight(4) == 0.5
