"""The audit trail's store, the same on SQLite and PostgreSQL: append-only, queried by scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ceph_tasks.audit import Entry, Kind, Outcome, Query, SqlAuditStore
from ceph_tasks.errors import AuditError, AuditUnavailable, ConfigurationError
from tests.support.services import free_port

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _entry(at: datetime, action: str, *, cluster: str = "c1", host: str = "node2",
           reference: str = "replace.node2.1a2b3c4d", kind: Kind = Kind.CEPH) -> Entry:
    return Entry(at=at, kind=kind, action=action, actor="worker w@admin1", cluster=cluster,
                 host=host, reference=reference, step="reweight 1",
                 details={"args": {"name": "osd.3", "weight": 0.5}}, before={"w": 1.0})


def test_an_entry_reads_back_as_written_and_ends_once_it_is_done(store: SqlAuditStore) -> None:
    number = store.begin(_entry(T0, "osd crush reweight"))
    [begun] = store.records(Query())
    assert begun.id == number and begun.outcome == Outcome.BEGUN and begun.ended is None
    assert begun.entry == _entry(T0, "osd crush reweight")
    store.end(number, T0 + timedelta(seconds=2), Outcome.DONE, after={"weight": 0.5})
    [done] = store.records(Query())
    assert (done.outcome, done.ended, done.after) == (Outcome.DONE, T0 + timedelta(seconds=2),
                                                      {"weight": 0.5})


def test_a_failure_keeps_its_message(store: SqlAuditStore) -> None:
    number = store.begin(_entry(T0, "osd out"))
    store.end(number, T0, Outcome.FAILED, error="EPERM: access denied")
    [failed] = store.records(Query())
    assert (failed.outcome, failed.error) == (Outcome.FAILED, "EPERM: access denied")


def test_an_entry_ends_only_once(store: SqlAuditStore) -> None:
    number = store.begin(_entry(T0, "osd out"))
    store.end(number, T0, Outcome.DONE)
    with pytest.raises(AuditError):
        store.end(number, T0, Outcome.FAILED, error="again")
    assert store.records(Query())[0].outcome == Outcome.DONE


def test_the_database_refuses_to_rewrite_or_drop_history(store: SqlAuditStore) -> None:
    store.end(store.begin(_entry(T0, "osd out")), T0, Outcome.DONE)
    for statement in ("UPDATE audit_entries SET actor = 'someone else'",
                      "DELETE FROM audit_entries", "UPDATE audit_outcomes SET outcome = 'x'",
                      "DELETE FROM audit_outcomes"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                store.engine.begin() as conn:
            conn.execute(sa.text(statement))
    [kept] = store.records(Query())
    assert (kept.entry.actor, kept.outcome) == ("worker w@admin1", Outcome.DONE)


def test_queries_select_by_cluster_host_maintenance_time_and_kind(store: SqlAuditStore) -> None:
    store.begin(_entry(T0, "osd set", host=""))
    store.begin(_entry(T0 + timedelta(hours=1), "osd out", host="node3"))
    store.begin(_entry(T0 + timedelta(hours=2), "osd out", cluster="c2",
                       reference="decommission.node9.00000001"))
    store.begin(_entry(T0 + timedelta(hours=3), "start", kind=Kind.OPERATOR))

    def actions(**query: object) -> list[str]:
        return [r.entry.action for r in store.records(Query(**query))]  # type: ignore[arg-type]
    assert actions() == ["osd set", "osd out", "osd out", "start"]
    assert actions(cluster="c2") == ["osd out"]
    assert actions(host="node3") == ["osd out"]
    assert actions(reference="replace.node2.1a2b3c4d", kinds=frozenset({Kind.CEPH})) == [
        "osd set", "osd out"]
    assert actions(since=T0 + timedelta(minutes=90)) == ["osd out", "start"]
    assert actions(limit=2) == ["osd out", "start"]


def test_two_admin_hosts_write_one_trail(audit_url: str) -> None:
    first, second = SqlAuditStore.from_url(audit_url), SqlAuditStore.from_url(audit_url)
    try:
        a = first.begin(_entry(T0, "osd set"))
        b = second.begin(_entry(T0, "osd out"))
        second.end(a, T0, Outcome.DONE)
        first.end(b, T0, Outcome.DONE)
        assert [(r.id, r.outcome) for r in first.records(Query())] == [
            (a, Outcome.DONE), (b, Outcome.DONE)]
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize(("url", "says"), [
    ("not a url", "not a database URL"),
    ("sqlite://", "SQLite file, not memory"),
    ("sqlite:///:memory:", "SQLite file, not memory"),
    ("mysql://root@127.0.0.1/test", "SQLite or PostgreSQL, not 'mysql'"),
])
def test_a_bad_location_is_refused_naming_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ConfigurationError, match=says):
        SqlAuditStore.from_url(url)


def test_an_unreachable_database_is_told_apart() -> None:
    store = SqlAuditStore.from_url(f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    with pytest.raises(AuditUnavailable, match="cannot set up the audit trail"):
        store.begin(_entry(T0, "osd out"))
