"""Deep-scrubbing new OSDs' PGs: asked once per PG (again if its primary changed), done
when every PG has a newer stamp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.errors import Refused
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.deep_scrub import deep_scrub_osds
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor
from tests.component.ceph_tasks.test_node_tasks import inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
REF = "disk-1"
OLD = "2026-01-01T00:00:00.000000+0000"


class Scrubs:
    """Three PGs; a deep-scrub request of a PG stamps it when the test says so."""

    def __init__(self) -> None:
        self.client = FakeCephClient.from_fixtures(FIXTURES / "healthy")
        self.acting = {"1.0": [4, 0], "1.1": [5, 2], "1.2": [0, 2]}
        self.stamps = dict.fromkeys(self.acting, OLD)
        self.asked: list[str] = []
        self.client.answer("pg dump", lambda _: {"pg_stats": [
            {"pgid": pg, "acting": acting, "acting_primary": acting[0],
             "last_deep_scrub_stamp": self.stamps[pg],
             "stat_sum": {"num_objects": 1}} for pg, acting in self.acting.items()]})
        self.client.answer("pg deep-scrub", self._ask)

    def _ask(self, command: CephCommand) -> Any:
        self.asked.append(command.args["pgid"])

    def scrub(self, pg: str) -> None:
        self.stamps[pg] = f"2026-01-02T00:00:0{len(self.asked)}.000000+0000"


@pytest.fixture
def scrubs() -> Scrubs:
    return Scrubs()


@pytest.fixture
def context(scrubs: Scrubs, task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=inventory(), ledger=MemoryLedger(), executor=FakeExecutor(),
                      ceph_factory=lambda _: scrubs.client)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def test_each_pg_of_the_osds_is_asked_once_and_the_step_ends_when_all_have_newer_stamps(
        context: TaskContext, scrubs: Scrubs) -> None:
    with pytest.raises(Retry):
        deep_scrub_osds(cluster="c1", reference=REF, osd_ids=[4, 5])
    # Replicas too: 1.1's primary is osd.5, 1.0's osd.4; 1.2 has no copy on them.
    assert scrubs.asked == ["1.0", "1.1"]
    scrubs.scrub("1.0")
    with pytest.raises(Retry):  # 1.1 still has its old stamp; 1.2 was never waited for
        deep_scrub_osds(cluster="c1", reference=REF, osd_ids=[4, 5])
    scrubs.scrub("1.1")
    done = deep_scrub_osds(cluster="c1", reference=REF, osd_ids=[4, 5])
    assert done["summary"] == "2 PGs of osd.4, osd.5 deep-scrubbed"
    assert scrubs.asked == ["1.0", "1.1"]  # asked once, however many looks


def test_a_pg_whose_primary_changed_before_its_scrub_is_asked_again_once(
        context: TaskContext, scrubs: Scrubs) -> None:
    with pytest.raises(Retry):
        deep_scrub_osds(cluster="c1", reference=REF, osd_ids=[4, 5])
    # The balancer moves 1.1: its new primary never heard of the request.
    scrubs.acting["1.1"] = [2, 5]
    for _ in range(3):
        with pytest.raises(Retry):
            deep_scrub_osds(cluster="c1", reference=REF, osd_ids=[4, 5])
    assert scrubs.asked == ["1.0", "1.1", "1.1"]
    scrubs.scrub("1.0")
    scrubs.scrub("1.1")
    assert deep_scrub_osds(cluster="c1", reference=REF, osd_ids=[4, 5])["pgs"] == 2


def test_the_new_osds_of_a_host_come_from_the_maintenances_own_records(
        context: TaskContext, scrubs: Scrubs) -> None:
    context.ledger.remember(REF, "new-osd:node2:/dev/node2-sdb", 4)
    with pytest.raises(Retry):
        deep_scrub_osds(cluster="c1", reference=REF, host="node2")
    assert scrubs.asked == ["1.0"]
    with pytest.raises(Refused, match="no new OSD of this maintenance on host node1"):
        deep_scrub_osds(cluster="c1", reference="other", host="node1")
