"""Which flags may be set where, their ledger keys, and which ones a restore unsets."""

from __future__ import annotations

import pytest

from ceph_tasks.decisions.flag_plan import FlagError, FlagTarget, check_flags, targets, to_restore


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
