"""Which flags may be set where (cluster, host, pool), their ledger keys, what a restore unsets."""

from __future__ import annotations

import pytest

from ceph_tasks.ceph.models import OsdDump
from ceph_tasks.decisions.flag_plan import (
    FlagError,
    FlagTarget,
    check_flags,
    flag_changes,
    restore_flag_changes,
    targets,
    to_restore,
)


def test_maintenance_flags_come_back_deduplicated_in_a_fixed_order() -> None:
    assert check_flags(["noscrub", "noout", "noscrub"]) == ("noout", "noscrub")


@pytest.mark.parametrize("flag", ["pause", "noup", "full", "NOOUT", ""])
def test_a_flag_outside_the_maintenance_set_is_refused_by_name(flag: str) -> None:
    with pytest.raises(FlagError, match="cannot be set cluster-wide"):
        check_flags(["noout", flag])


def test_per_host_only_noout_is_accepted_as_osd_set_group_allows() -> None:
    assert check_flags(["noout"], ["node2"]) == ("noout",)
    with pytest.raises(FlagError, match=r"noscrub cannot be set per host.*allowed: noout"):
        check_flags(["noout", "noscrub"], ["node2"])


def test_no_flags_or_an_empty_host_list_is_refused() -> None:
    with pytest.raises(FlagError, match="no flags"):
        check_flags([])
    with pytest.raises(FlagError, match="empty list of hosts"):
        check_flags(["noout"], [])


def test_targets_pair_each_flag_with_each_host_or_the_cluster() -> None:
    assert targets(("noout", "noscrub"), None) == (FlagTarget("noout"), FlagTarget("noscrub"))
    assert targets(("noout",), ["node1", "node2", "node1"]) == (
        FlagTarget("noout", "node1"), FlagTarget("noout", "node2"))


def test_ledger_keys_tell_the_cluster_from_a_host() -> None:
    assert FlagTarget("noout").ledger_key == "flag:cluster:noout"
    assert FlagTarget("noout", "node2").ledger_key == "flag:node2:noout"
    assert FlagTarget("noout", "node2").describe() == "noout on node2"


@pytest.mark.parametrize(("set_before", "set_now", "unset"), [
    (False, True, True),    # this maintenance set it: restore unsets it
    (False, False, False),  # already restored (or unset by hand): nothing to do
    (True, True, False),    # an operator had set it: it stays
    (None, True, False),    # never set by this maintenance: it stays
])
def test_a_restore_unsets_only_what_the_maintenance_set(
        set_before: bool | None, set_now: bool, unset: bool) -> None:
    assert to_restore(set_before, set_now) is unset


def test_per_pool_only_the_scrub_flags_are_accepted() -> None:
    assert check_flags(["nodeep-scrub", "noscrub"], pools=["rbd"]) == ("noscrub",
                                                                       "nodeep-scrub")
    with pytest.raises(FlagError, match=r"noout cannot be set per pool.*noscrub, nodeep-scrub"):
        check_flags(["noout"], pools=["rbd"])
    with pytest.raises(FlagError, match="not both"):
        check_flags(["noout"], ["node2"], ["rbd"])
    with pytest.raises(FlagError, match="empty list of hosts or pools"):
        check_flags(["noscrub"], pools=[])


@pytest.mark.parametrize("target", [
    FlagTarget("noout"), FlagTarget("noout", "node2.dc1"), FlagTarget("noscrub", pool="rbd"),
    FlagTarget("nodeep-scrub", pool="odd:pool/name"), FlagTarget("noout", "cluster2"),
])
def test_a_flag_target_comes_back_from_its_ledger_key(target: FlagTarget) -> None:
    assert FlagTarget.from_key(target.ledger_key) == target


@pytest.mark.parametrize("key", ["flag:cluster:pause", "movers:balancer", "flag:noout",
                                 "downtime:node2", "flag::noout"])
def test_keys_of_other_kinds_name_no_flag(key: str) -> None:
    assert FlagTarget.from_key(key) is None


def dump(cluster: str = "", pools: dict[str, str] | None = None,
         hosts: dict[str, list[str]] | None = None) -> OsdDump:
    return OsdDump.model_validate({
        "epoch": 1, "flags": cluster, "crush_node_flags": hosts or {},
        "pools": [{"pool_name": p, "flags_names": f} for p, f in (pools or {}).items()]})


def test_setting_sends_one_command_per_cluster_or_pool_flag_and_one_per_host_flag() -> None:
    wanted = [FlagTarget("noscrub"), FlagTarget("noscrub", pool="rbd"),
              FlagTarget("noout", "node1"), FlagTarget("noout", "node2")]
    assert [(c.prefix, dict(c.args)) for c in flag_changes(wanted, "set")] == [
        ("osd set", {"key": "noscrub"}),
        ("osd pool set", {"pool": "rbd", "var": "noscrub", "val": "1"}),
        ("osd set-group", {"flags": "noout", "who": ["node1", "node2"]})]


def test_a_restore_unsets_recorded_flags_of_every_scope_and_leaves_the_rest() -> None:
    recorded = {
        FlagTarget("noscrub").ledger_key: False,            # ours, still set
        FlagTarget("nodeep-scrub").ledger_key: True,        # the operator's: stays
        FlagTarget("noout", "node1").ledger_key: False,     # ours, still set
        FlagTarget("noscrub", pool="rbd").ledger_key: False,  # ours, still set
        FlagTarget("noscrub", pool="cold").ledger_key: False,  # unset by hand since
        "movers:balancer": {"active": True},                # not a flag
    }
    now = dump("noscrub,nodeep-scrub", {"rbd": "hashpspool,noscrub", "cold": "hashpspool"},
               {"node1": ["noout"]})
    assert [c.says for c in restore_flag_changes(recorded, now)] == [
        "osd unset noscrub", "osd pool set rbd noscrub 0", "osd unset-group noout node1"]
