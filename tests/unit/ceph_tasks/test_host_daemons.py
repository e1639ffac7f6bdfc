"""A leaving host's monitors, managers and MDS: found, judged and handed over."""

from __future__ import annotations

import json
from pathlib import Path

from ceph_tasks.ceph.models.service_daemons import DaemonKind, Daemons
from ceph_tasks.decisions.host_daemons import daemons_on, handover_changes, handover_problems
from tests.support.service_daemons import daemon_answers

CAPTURED = Path(__file__).resolve().parents[2] / "fixtures" / "ceph" / "daemons"
HOSTS = ("a1", "a2", "a3", "b1", "b2", "c1", "new1")


def captured() -> Daemons:
    """The mixed sandbox: mons a2, b2, c1; mgr a2 alone; MDS b1 active, c1 standby."""
    def read(name: str) -> object:
        return json.loads((CAPTURED / f"{name}.json").read_text())
    return Daemons.from_answers(
        read("quorum_status"), read("mgr_dump"), read("fs_dump"),  # type: ignore[arg-type]
        {DaemonKind.MON: read("mon_metadata"), DaemonKind.MGR: read("mgr_metadata"),  # type: ignore[dict-item]
         DaemonKind.MDS: read("mds_metadata")})


def answers(**kwargs: object) -> Daemons:
    a = daemon_answers(**kwargs)  # type: ignore[arg-type]
    return Daemons.from_answers(a["quorum_status"], a["mgr dump"], a["fs dump"], {})


def test_a_captured_cluster_reads_as_its_monitors_managers_and_mds() -> None:
    daemons = captured()
    assert [d.describe() for d in daemons.daemons] == [
        "mon.a2 (in quorum)", "mon.b2 (in quorum)", "mon.c1 (in quorum)", "mgr.a2 (active)",
        "mds.b1 (up:active, cephfs)", "mds.c1 (up:standby)"]
    # Every daemon of the sandbox reports the one machine's hostname: names tell the host.
    assert [d.entity for d in daemons_on(daemons, ["c1"], HOSTS)] == ["mon.c1", "mds.c1"]


def test_a_daemon_reporting_an_inventory_hostname_is_placed_by_it() -> None:
    daemons = Daemons.from_answers(
        {"quorum_names": ["x"], "monmap": {"mons": [{"name": "x"}]}}, {}, {},
        {DaemonKind.MON: [{"name": "x", "hostname": "stor02.dc1"}]})
    assert daemons_on(daemons, ["stor02.dc1"], ["stor01.dc1", "stor02.dc1"])
    assert not daemons_on(daemons, ["stor01.dc1"], ["stor01.dc1", "stor02.dc1"])


def test_a_monitor_goes_only_if_the_inventorys_minimum_stays_naming_the_quorum() -> None:
    daemons = answers(mons=("a2", "b2", "c1"), mgrs=("a2",))
    assert handover_problems(daemons, ["c1"], HOSTS, min_monitors=3) == [
        "removing mon.c1 leaves 2 monitor(s) (a2, b2), fewer than the inventory's "
        "min_monitors 3 (quorum now: a2, b2, c1)"]
    assert handover_problems(daemons, ["c1"], HOSTS, min_monitors=2) == []


def test_an_mds_goes_only_if_its_file_systems_keep_the_standbys_they_want() -> None:
    # The captured cluster: mds.b1 holds cephfs's rank, mds.c1 is its one standby, and
    # cephfs wants one (standby_count_wanted 1): without c1 Ceph would warn
    # MDS_INSUFFICIENT_STANDBY, and the maintenance would wait for health forever.
    daemons = captured()
    assert daemons.standbys_wanted == {"cephfs": 1}
    assert handover_problems(daemons, ["c1"], HOSTS, min_monitors=2) == [
        "removing mds.c1 leaves 0 standby MDS, fewer than file system cephfs wants "
        "(standby_count_wanted 1): add an MDS elsewhere first"]
    # A replacement brings its MDS up on the new host first.
    assert handover_problems(daemons, ["c1"], HOSTS, min_monitors=2,
                             joining=[DaemonKind.MON, DaemonKind.MDS]) == []


def test_monitors_out_of_quorum_count_as_no_quorum_left() -> None:
    daemons = answers(mons=("m1", "m2", "m3", "m4"), mgrs=("m1",), out_of_quorum=("m2", "m3"))
    [problem] = handover_problems(daemons, ["m4"], ["m1", "m2", "m3", "m4"], min_monitors=3)
    assert problem.startswith("removing mon.m4 leaves no quorum")


def test_an_active_manager_or_mds_without_a_standby_elsewhere_is_refused() -> None:
    daemons = captured()
    assert handover_problems(daemons, ["a2"], HOSTS, min_monitors=2) == [
        "the active manager mgr.a2 runs there and no standby manager is up elsewhere to "
        "take over"]
    alone = answers(mons=("a1",), mgrs=("a1",), mds=("b1",))
    assert handover_problems(alone, ["b1"], ["a1", "b1"], min_monitors=1) == [
        "mds.b1 holds a rank of cephfs and no standby MDS is ready elsewhere to take over"]


def test_the_handover_fails_over_managers_and_mds_first_and_removes_the_monitor_last() -> None:
    daemons = answers(mons=("a1", "b1", "c1"), mgrs=("c1", "a1"), mds=("c1", "b1"))
    changes = [c.says for _, c in handover_changes(daemons, ["c1"], ["a1", "b1", "c1"])]
    assert changes == ["mgr fail c1", "mds fail c1", "mon rm c1"]
    # A standby on the host is left as it is: nothing to hand over.
    assert [c.says for _, c in handover_changes(daemons, ["a1"], ["a1", "b1", "c1"])] == \
        ["mon rm a1"]
