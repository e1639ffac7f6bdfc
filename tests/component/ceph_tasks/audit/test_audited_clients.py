"""Changes go through audited clients: each is in the trail before it is sent, reads are not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from celery import Celery

from ceph_tasks.audit import Outcome, Query, Scope, SqlAuditStore, Trail, within
from ceph_tasks.audit.adapters import AuditedCephClient, AuditedExecutor, AuditedLedger
from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.decisions.restoration import restorable_key
from ceph_tasks.errors import AuditUnavailable, CephPermissionDenied, CommandFailed
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.flags import set_flags
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor
from tests.component.ceph_tasks.test_data_movement_tasks import FIXTURES, inventory
from tests.support.services import free_port

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCOPE = Scope(actor="worker w@admin1", cluster="c1", reference="replace.node2.1a2b3c4d",
              step="reweight 7")


@pytest.fixture
def trail(store: SqlAuditStore) -> Trail:
    return Trail(store, lambda: NOW, Scope(actor="cephmaint on admin1"))


def _entries(trail: Trail) -> list[tuple[str, str, Outcome]]:
    return [(str(r.entry.kind), r.entry.action, r.outcome)
            for r in trail.store.records(Query())]


def test_a_change_is_in_the_trail_before_the_cluster_receives_it(trail: Trail) -> None:
    seen_when_sent: list[list[tuple[str, str, Outcome]]] = []

    def reweight(_: CephCommand) -> None:
        seen_when_sent.append(_entries(trail))
    fake = FakeCephClient({"osd crush reweight": reweight, "osd tree": {"nodes": []}})
    client = AuditedCephClient(fake, trail, "c1")
    with within(SCOPE):
        client.mon_command("osd tree")
        client.mon_command("osd crush reweight", name="osd.3", weight=0.5)
    assert seen_when_sent == [[("ceph", "osd crush reweight", Outcome.BEGUN)]]
    [record] = trail.store.records(Query())
    assert record.outcome == Outcome.DONE
    assert record.entry.details == {"to": "mon", "args": {"name": "osd.3", "weight": 0.5}}
    assert (record.entry.actor, record.entry.cluster, record.entry.reference,
            record.entry.step) == ("worker w@admin1", "c1", SCOPE.reference, "reweight 7")


def test_a_refused_change_is_kept_as_failed_with_the_clusters_words(trail: Trail) -> None:
    refusal = CephPermissionDenied("osd out", 1, "access denied")
    client = AuditedCephClient(FakeCephClient({"osd out": refusal}), trail, "c1")
    with pytest.raises(CephPermissionDenied):
        client.mgr_command("osd out", ids=["3"])
    [record] = trail.store.records(Query())
    assert record.outcome == Outcome.FAILED and "access denied" in record.error
    assert record.entry.details["to"] == "mgr"
    assert record.entry.actor == "cephmaint on admin1"  # no step: the trail's own actor


def test_nothing_is_sent_when_the_trail_cannot_be_written() -> None:
    down = SqlAuditStore.from_url(f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    fake = FakeCephClient({"osd set": None})
    client = AuditedCephClient(fake, Trail(down, lambda: NOW, SCOPE), "c1")
    with pytest.raises(AuditUnavailable):
        client.mon_command("osd set", key="noout")
    assert fake.calls == []


def test_every_host_command_is_written_with_its_argv_and_exit_status(trail: Trail) -> None:
    fake = FakeExecutor()
    fake.reply(["systemctl", "stop", "ceph-osd@3"])
    fake.reply(["systemctl", "start", "ceph-osd@3"], exit_status=1, stderr="unit failed")
    executor = AuditedExecutor(fake, trail)
    host = inventory().cluster("c1").host("node2")
    with within(SCOPE):
        executor.run(host, ["systemctl", "stop", "ceph-osd@3"])
        with pytest.raises(CommandFailed):
            executor.run(host, ["systemctl", "start", "ceph-osd@3"])
    stop, start = trail.store.records(Query(host="node2"))
    assert stop.entry.details == {"argv": ["systemctl", "stop", "ceph-osd@3"]}
    assert (stop.outcome, stop.after) == (Outcome.DONE, {"exit_status": 0})
    assert start.outcome == Outcome.FAILED and "unit failed" in start.error


def test_the_ledger_mirrors_what_a_restore_would_put_back_and_nothing_else(
        trail: Trail) -> None:
    ledger = AuditedLedger(MemoryLedger(), trail, restorable_key)
    ledger.remember(SCOPE.reference, "flag:noout", False)
    ledger.remember(SCOPE.reference, "flag:noout", True)  # a re-run reads the first back
    ledger.note(SCOPE.reference, "progress:abc", {"moving": 3})
    ledger.forget(SCOPE.reference, "flag:noout")
    records = trail.store.records(Query(reference=SCOPE.reference))
    assert [(r.entry.action, r.entry.before) for r in records] == [
        ("record flag:noout", False), ("forget flag:noout", None)]


@pytest.fixture
def audited_context(task_app: Celery, trail: Trail) -> Iterator[tuple[TaskContext, Any]]:
    client = FakeCephClient.from_fixtures(FIXTURES / "healthy")
    client.answer("osd set", None)
    ctx = TaskContext(inventory=inventory(),
                      ledger=AuditedLedger(MemoryLedger(), trail, restorable_key),
                      executor=FakeExecutor(), ceph_factory=lambda _: client, now=lambda: NOW,
                      trail=trail)
    install_context(task_app, ctx)
    yield ctx, client
    install_context(task_app, None)


def test_a_step_writes_its_record_then_its_command_under_its_own_name(
        audited_context: tuple[TaskContext, Any], trail: Trail) -> None:
    set_flags(cluster="c1", reference="replace.node2.1a2b3c4d", flags=["noout"])
    records = trail.store.records(Query(reference="replace.node2.1a2b3c4d"))
    assert [(str(r.entry.kind), r.entry.action, r.entry.before) for r in records] == [
        ("record", "record flag:cluster:noout", False), ("ceph", "osd set", None)]
    assert {(r.entry.cluster, r.entry.step, r.outcome) for r in records} == {
        ("c1", "set_flags", Outcome.DONE)}
    assert records[1].entry.details["args"] == {"key": "noout"}
