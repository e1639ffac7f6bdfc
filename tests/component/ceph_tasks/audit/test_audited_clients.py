"""Changes go through audited clients: each is in the trail before it is sent, reads are not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from celery import Celery

from ceph_tasks.audit import Kind, Outcome, Query, Scope, SqlAuditStore, Trail, within
from ceph_tasks.audit.adapters import (
    AuditedCephClient,
    AuditedDowntimes,
    AuditedExecutor,
    AuditedLedger,
    AuditedNotifier,
    AuditedTickets,
)
from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.decisions.restoration import restorable_key
from ceph_tasks.errors import (
    AuditUnavailable,
    CephPermissionDenied,
    CommandFailed,
    NotificationError,
)
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.monitoring.backend import DowntimeRequest, DowntimeResult
from ceph_tasks.notify.message import TechnicianMessage
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.flags import set_flags
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor
from ceph_tasks.testing.fake_notify import InMemoryNotifier, InMemoryTickets
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


def _message() -> TechnicianMessage:
    return TechnicianMessage(subject="Swap the disks of node2", body="bay 4, serial S4",
                             reference=SCOPE.reference, cluster="c1", host="node2")


def test_messages_and_ticket_comments_are_written_before_they_go_out(trail: Trail) -> None:
    chat, tickets = InMemoryNotifier(), InMemoryTickets()
    with within(SCOPE):
        AuditedNotifier(chat, trail).notify(_message())
        audited = AuditedTickets(tickets, trail)
        key = audited.notify(_message())
        assert audited.ticket_status(key) == "Open"
        audited.comment(key, "OSDs drained")
    records = trail.store.records(Query(kinds=frozenset({Kind.NOTIFY})))
    assert [(r.entry.action, r.entry.host, r.after) for r in records] == [
        ("notify technicians", "node2", {"receipt": "1"}),
        ("notify technicians", "node2", {"receipt": "OPS-1"}),
        ("comment on ticket", "", {"receipt": "1"})]
    assert records[0].entry.details == {"channel": "inmemory",
                                        "subject": "Swap the disks of node2",
                                        "body": "bay 4, serial S4"}


def test_a_message_that_could_not_be_sent_is_kept_as_failed(trail: Trail) -> None:
    with pytest.raises(NotificationError):
        AuditedNotifier(InMemoryNotifier(fail_with="chat is down"), trail).notify(_message())
    [record] = trail.store.records(Query())
    assert record.outcome == Outcome.FAILED and "chat is down" in record.error


class Downtimes:
    """A monitoring system that keeps its downtimes in memory."""

    def __init__(self) -> None:
        self.set: list[DowntimeRequest] = []

    def set_downtime(self, request: DowntimeRequest) -> DowntimeResult:
        self.set.append(request)
        return DowntimeResult("memory", request.host, (f"d{len(self.set)}",), True)

    def remove_downtime(self, host: str, reference: str) -> int:
        return len([r for r in self.set if r.host == host and r.reference == reference])


def test_downtimes_are_written_with_their_window_and_what_they_left(trail: Trail) -> None:
    backend = AuditedDowntimes(Downtimes(), trail)
    request = DowntimeRequest(host="node2", start=NOW, end=NOW + timedelta(hours=4),
                              comment="replace", author="cephmaint",
                              reference=SCOPE.reference)
    with within(SCOPE):
        backend.set_downtime(request)
        backend.remove_downtime("node2", SCOPE.reference)
    put, removed = trail.store.records(Query(host="node2"))
    assert put.entry.details["end"] == (NOW + timedelta(hours=4)).isoformat()
    assert put.after == {"ids": ["d1"], "created": True}
    assert (removed.entry.action, removed.after) == ("remove downtime", {"removed": 1})
