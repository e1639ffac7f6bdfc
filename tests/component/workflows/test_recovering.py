"""`recover`'s reading and applying, on a real Redis and the captured healthy cluster.

Three things are left on the cluster: the copies of a maintenance whose workflow was lost
in the middle of its drain (osd.4 and osd.5 below the weights it recorded), the copies of
one whose changes are all back, and a lease whose workflow is gone. Applying starts the
first's recovery under its reference, drops the second's copies and releases the lease.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_config import FakeConfigDatabase
from tests.support.lab import FIXTURES
from workflows.engine import processor_of, worker_app
from workflows.leases import RedisLeases
from workflows.recovering import apply, find
from workflows.recovery import RECOVER


@pytest.fixture
def app(redis_url: str) -> Iterator[Celery]:
    # The broker of this process only: the recovery it starts is looked at, not run.
    yield worker_app(Settings(broker_url="memory://", redis_url=redis_url),
                     name=f"recover-{uuid.uuid4().hex[:6]}")


def test_recover_finds_what_no_workflow_owns_and_apply_puts_each_on_its_way(
        app: Celery, redis_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    lost, done, gone, cluster = f"lost-{tag}", f"done-{tag}", f"gone-{tag}", f"lab-{tag}"
    copies = {f"cephmaint/ledger/{lost}/weights:4": "2.0",
              f"cephmaint/ledger/{lost}/weights:5": "2.0",
              f"cephmaint/ledger/{done}/weights:2": "1.0"}
    client = FakeCephClient.from_fixtures(FIXTURES / "healthy")
    FakeConfigDatabase().install(client)
    client.answer("config-key dump", lambda _: dict(copies))

    def drop(command: CephCommand) -> Any:
        copies.pop(command.args["key"], None)
    client.answer("config-key rm", drop)
    client.answer("balancer status", {"active": False, "mode": "upmap"})
    RedisLeases.from_url(redis_url).take(cluster, gone, ["node1"], ttl=60,
                                         decide=lambda _: None)
    ceph = Ceph(client)

    found = find(app, cluster, ceph)
    assert [(lo.reference, lo.in_effect) for lo in found.leftovers] == [
        (done, ()), (lost, ("osd.4 CRUSH weight 1, was 2", "osd.5 CRUSH weight 1, was 2"))]
    assert [h.reference for h in found.leases] == [gone] and not found.empty

    applied = apply(app, found, ceph)
    assert (applied.started, applied.cleared, applied.released, applied.refused) == (
        [lost], [done], [gone], {})
    assert set(copies) == {f"cephmaint/ledger/{lost}/weights:4",
                           f"cephmaint/ledger/{lost}/weights:5"}
    ledger = RedisLedger.from_url(redis_url)
    assert ledger.recall(lost, "plan")["kind"] == RECOVER
    assert ledger.recall(lost, "weights:4") == 2.0
    assert processor_of(app).handle(lost).status().state.name == "RUNNING"
    # The recovery is a workflow of its own now: nothing is left over any more.
    again = find(app, cluster, ceph)
    assert [lo.reference for lo in again.leftovers] == [] and again.empty
