"""The audit trail's pure core: what counts as a change, what an entry must say, how it reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ceph_tasks.audit import Entry, Kind, Outcome, Record, Scope, changes_state
from ceph_tasks.audit.entry import describe

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("prefix", [
    "status", "health", "osd tree", "osd df", "osd dump", "pg dump", "osd pool ls",
    "osd ok-to-stop", "osd safe-to-destroy", "mon ok-to-rm", "config-key get",
    "config-key dump", "osd getmap", "balancer status", "versions", "osd pool get",
    "osd erasure-code-profile get", "osd crush rule dump", "log last", "service dump",
])
def test_reads_are_not_audited(prefix: str) -> None:
    assert not changes_state(prefix)


@pytest.mark.parametrize("prefix", [
    "osd crush reweight", "osd out", "osd in", "osd set", "osd unset", "osd crush rm",
    "osd purge", "osd destroy", "config-key set", "config-key rm", "config set",
    "balancer off", "balancer on", "pg deep-scrub", "osd pg-upmap-items", "mon remove",
    "osd crush move", "log",
])
def test_commands_that_change_the_cluster_are_audited(prefix: str) -> None:
    assert changes_state(prefix)


def test_an_unknown_or_empty_prefix_counts_as_a_change() -> None:
    assert changes_state("osd frobnicate")
    assert changes_state("")


def test_an_entry_needs_an_aware_time_an_action_and_an_actor() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Entry(at=datetime(2026, 12, 1), kind=Kind.CEPH, action="osd out", actor="w")
    with pytest.raises(ValueError, match="action"):
        Entry(at=AT, kind=Kind.CEPH, action=" ", actor="w")
    with pytest.raises(ValueError, match="actor"):
        Entry(at=AT, kind=Kind.CEPH, action="osd out", actor="")


def test_a_scope_stamps_its_entries_and_a_host_acted_on_wins() -> None:
    scope = Scope(actor="worker w@admin1", cluster="c1", host="node2",
                  reference="replace.node2.1a2b3c4d", step="reweight 1")
    entry = scope.entry(AT, Kind.SSH, "systemctl stop", host="node3", details={"argv": ["x"]})
    assert (entry.actor, entry.cluster, entry.host, entry.reference, entry.step) == (
        "worker w@admin1", "c1", "node3", "replace.node2.1a2b3c4d", "reweight 1")
    assert scope.on(cluster="c2").entry(AT, Kind.CEPH, "osd out").host == "node2"


def _record(kind: Kind, action: str, details: dict[str, object], before: object = None,
            outcome: Outcome = Outcome.DONE, error: str = "") -> Record:
    entry = Entry(at=AT, kind=kind, action=action, actor="alice", details=details,
                  before=before)
    return Record(id=1, entry=entry, outcome=outcome, ended=AT, error=error)


def test_each_kind_reads_as_one_line_a_person_understands() -> None:
    assert describe(_record(Kind.CEPH, "osd crush reweight",
                            {"to": "mon", "args": {"name": "osd.3", "weight": 0.5}})) == \
        "osd crush reweight name=osd.3 weight=0.5"
    assert describe(_record(Kind.SSH, "systemctl stop ceph-osd@3",
                            {"argv": ["systemctl", "stop", "ceph-osd@3", "a b"]})) == \
        "systemctl stop ceph-osd@3 'a b'"
    assert describe(_record(Kind.RECORD, "record weight:3", {"key": "weight:3"},
                            before=1.0)) == "record weight:3 = 1.0"
    assert describe(_record(Kind.NOTIFY, "notify technicians",
                            {"subject": "Swap node2\nmore"})) == "notify technicians: Swap node2"
    assert describe(_record(Kind.OPERATOR, "skip", {"step": "wait-healthy",
                                                    "why": "known noise"})) == \
        "skip step=wait-healthy (why: known noise)"


def test_a_failed_entry_says_why_it_failed() -> None:
    record = _record(Kind.CEPH, "osd out", {"args": {"ids": ["3"]}}, outcome=Outcome.FAILED,
                     error="EPERM")
    assert describe(record) == "osd out ids=[\"3\"] -> failed: EPERM"
    assert record.to_json()["outcome"] == "failed"
