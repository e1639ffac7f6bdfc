"""One restore path: which recorded changes it puts back, by kind, from the ledger's entries."""

from __future__ import annotations

import pytest

from ceph_tasks.ceph.models import OsdDump, Pool
from ceph_tasks.decisions.downtime_window import window_key
from ceph_tasks.decisions.flag_plan import FlagTarget
from ceph_tasks.decisions.movers import BALANCER_KEY, autoscale_key
from ceph_tasks.decisions.restoration import (
    RESTORED_HERE,
    Kind,
    ceph_restores,
    daemon_key,
    downtime_hosts,
    kinds_of,
    recorded,
    stopped_daemons,
)
from ceph_tasks.decisions.reweight_plan import ledger_key as weight_key

ENTRIES = {
    FlagTarget("noscrub", pool="rbd").ledger_key: False,
    FlagTarget("noout", "node2").ledger_key: False,
    BALANCER_KEY: {"active": True, "mode": "upmap"},
    autoscale_key("rbd"): "on",
    window_key("node2"): {"start": "2026-12-03T10:00:00+00:00"},
    window_key("spare-3.dc1"): {"start": "2026-12-03T11:00:00+00:00"},
    weight_key(4): 1.0,
    "plan": {"kind": "replace"},
    "progress:abc": {"doing": "x"},
}


def test_every_kind_but_weights_is_restored_here_when_none_is_named() -> None:
    assert kinds_of(None) == RESTORED_HERE == (Kind.DAEMONS, Kind.FLAGS, Kind.MOVERS,
                                               Kind.RECOVERY, Kind.DOWNTIMES, Kind.LOCATES)


def test_kinds_are_restored_in_one_order_daemons_before_the_flags_that_hold_them_in() -> None:
    assert kinds_of(["movers", "flags", "movers", "daemons"]) == (Kind.DAEMONS, Kind.FLAGS,
                                                                  Kind.MOVERS)


def test_stopped_daemons_are_read_back_by_host() -> None:
    entries = {daemon_key("node2", 5): True, daemon_key("node2", 4): True,
               daemon_key("spare-3.dc1", 7): True, **ENTRIES}
    assert stopped_daemons(entries) == {"node2": [4, 5], "spare-3.dc1": [7]}
    assert recorded(entries, [Kind.DAEMONS]).keys() == {"daemon-stopped:node2:5",
                                                        "daemon-stopped:node2:4",
                                                        "daemon-stopped:spare-3.dc1:7"}


def test_weights_upmaps_and_unknown_kinds_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="reweight task"):
        kinds_of(["flags", "weights"])
    with pytest.raises(ValueError, match="moves data"):
        kinds_of(["upmaps"])
    with pytest.raises(ValueError, match="'snapshots'"):
        kinds_of(["snapshots"])


def test_only_the_entries_of_the_kinds_asked_for_are_picked() -> None:
    assert set(recorded(ENTRIES, [Kind.FLAGS])) == {"flag:pool/rbd:noscrub", "flag:node2:noout"}
    assert set(recorded(ENTRIES, [Kind.MOVERS, Kind.DOWNTIMES])) == {
        BALANCER_KEY, autoscale_key("rbd"), "downtime:node2", "downtime:spare-3.dc1"}
    assert downtime_hosts(ENTRIES) == ["node2", "spare-3.dc1"]


def test_flags_and_movers_come_back_in_one_list_of_commands() -> None:
    dump = OsdDump.model_validate({
        "epoch": 7, "flags": "sortbitwise", "crush_node_flags": {"node2": ["noout"]},
        "pools": [{"pool_name": "rbd", "flags_names": "hashpspool,noscrub"}]})
    pools = [Pool(pool_id=1, pool_name="rbd", size=3, min_size=2, crush_rule=0,
                  pg_autoscale_mode="warn")]
    changes = ceph_restores(ENTRIES, dump, pools, {"active": False, "mode": "upmap"})
    assert [c.says for c in changes] == [
        "osd pool set rbd noscrub 0", "osd unset-group noout node2", "balancer on",
        "pool rbd pg_autoscale_mode on"]
    assert [c.mgr for c in changes] == [False, False, True, False]


def test_nothing_is_sent_when_everything_is_already_back() -> None:
    dump = OsdDump.model_validate({"epoch": 7, "pools": [{"pool_name": "rbd",
                                                          "flags_names": "hashpspool"}]})
    pools = [Pool(pool_id=1, pool_name="rbd", size=3, min_size=2, crush_rule=0,
                  pg_autoscale_mode="on")]
    assert ceph_restores(ENTRIES, dump, pools, {"active": True}) == []
