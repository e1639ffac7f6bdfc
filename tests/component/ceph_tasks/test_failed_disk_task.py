"""A failed OSD marked out at once, recorded first, and waited on until safe to destroy."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.errors import Refused
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.failed_disk import out_failed_osd
from ceph_tasks.tasks.guards import check_healthy_to_start
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor
from tests.component.ceph_tasks.test_node_tasks import inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
REF = "disk-failed"


class Failed:
    """The captured cluster with osd.0 down and in; recovery ends when the test says so."""

    def __init__(self) -> None:
        self.client = FakeCephClient.from_fixtures(FIXTURES / "osd_down")
        self.tree: dict[str, Any] = json.loads((FIXTURES / "osd_down" / "osd_tree.json")
                                               .read_text())
        self.recovered = False
        c = self.client
        c.answer("osd tree", lambda _: copy.deepcopy(self.tree))
        c.answer("pg dump", {"pg_stats": [{"pgid": "1.0", "up": [0, 2], "acting": [2]},
                                          {"pgid": "1.1", "up": [4, 2], "acting": [4, 2]}]})
        c.answer("osd out", lambda cmd: [self.osd(int(i)).update(reweight=0)
                                         for i in cmd.args["ids"]] and None)
        c.answer("osd safe-to-destroy", lambda cmd: {
            "safe_to_destroy": cmd.args["ids"] if self.recovered else [],
            "active": [], "missing_stats": [], "stored_pgs": [] if self.recovered else ["1.0"]})

    def osd(self, osd_id: int) -> dict[str, Any]:
        return next(n for n in self.tree["nodes"] if n["id"] == osd_id)

    def writes(self) -> list[str]:
        return [c.prefix for c in self.client.calls if c.prefix == "osd out"]


@pytest.fixture
def failed() -> Failed:
    return Failed()


@pytest.fixture
def context(failed: Failed, task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=inventory(), ledger=MemoryLedger(), executor=FakeExecutor(),
                      ceph_factory=lambda _: failed.client)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def test_a_failed_osd_is_marked_out_once_its_weight_recorded_and_waited_on_until_safe(
        context: TaskContext, failed: Failed) -> None:
    with pytest.raises(Retry):
        out_failed_osd(cluster="c1", reference=REF, osd_id=0)
    entries = context.ledger.entries(REF)
    assert entries["weights:0"] == failed.osd(0)["crush_weight"]
    assert "failed-out:0" in entries
    assert failed.writes() == ["osd out"] and failed.osd(0)["reweight"] == 0

    with pytest.raises(Retry):
        out_failed_osd(cluster="c1", reference=REF, osd_id=0)
    assert failed.writes() == ["osd out"]  # out already: not sent again

    failed.recovered = True
    done = out_failed_osd(cluster="c1", reference=REF, osd_id=0)
    assert done["marked_out_at"] == entries["failed-out:0"]
    assert "safe to destroy" in done["summary"]
    assert failed.writes() == ["osd out"]


def test_an_osd_that_is_up_and_holds_pgs_is_refused_with_nothing_recorded_or_sent(
        context: TaskContext, failed: Failed) -> None:
    with pytest.raises(Refused, match=r"osd\.4 is up and holds 1 PGs: it has not failed"):
        out_failed_osd(cluster="c1", reference=REF, osd_id=4)
    with pytest.raises(Refused, match=r"osd\.4 is up and holds 1 PGs"):
        check_healthy_to_start(cluster="c1", reference=REF, failed_osds=[4])
    assert context.ledger.entries(REF) == {} and failed.writes() == []


def test_the_start_check_lets_the_failed_osds_own_degradation_be(
        context: TaskContext, failed: Failed) -> None:
    done = check_healthy_to_start(cluster="c1", reference=REF, failed_osds=[0])
    assert done["health"] == "HEALTH_WARN"
    with pytest.raises(Refused, match="OSD_DOWN: 1 osds down"):
        check_healthy_to_start(cluster="c1", reference=REF)
