"""A gradual reweight: which OSDs, which goals, and whether to step, wait or stop."""

from __future__ import annotations

import pytest

from ceph_tasks.decisions.reweight_plan import (
    Action,
    ReweightError,
    decide,
    host_osds,
    ledger_key,
    listed_osds,
    target_weights,
)

LIVE = {"node1": frozenset({2, 3}), "node2": frozenset({4, 5}), "node3": frozenset()}


def test_a_hosts_osds_come_from_the_tree_when_the_inventory_agrees() -> None:
    assert host_osds("node2", LIVE, frozenset({4, 5})) == {4, 5}


def test_a_tree_and_inventory_disagreement_is_refused_naming_both_sides() -> None:
    with pytest.raises(ReweightError, match=r"only in the tree: \[5\], only in the inventory: "
                                            r"\[6\]"):
        host_osds("node2", LIVE, frozenset({4, 6}))


def test_a_host_without_bucket_or_osds_is_refused() -> None:
    with pytest.raises(ReweightError, match="no bucket"):
        host_osds("node9", LIVE, frozenset())
    with pytest.raises(ReweightError, match="no OSDs"):
        host_osds("node3", LIVE, frozenset())


def test_listed_osds_must_be_placed_in_crush() -> None:
    assert listed_osds([4, 5, 4], frozenset({2, 3, 4, 5})) == {4, 5}
    with pytest.raises(ReweightError, match=r"\[9\]"):
        listed_osds([4, 9], frozenset({4, 5}))
    with pytest.raises(ReweightError, match="no OSDs"):
        listed_osds([], frozenset({4}))


def test_goals_are_the_target_or_the_recorded_originals() -> None:
    assert target_weights(frozenset({4, 5}), 0, {}) == {4: 0.0, 5: 0.0}
    assert target_weights(frozenset({4}), None, {4: 1.5}) == {4: 1.5}
    with pytest.raises(ReweightError, match=r"no original weight recorded for OSD\(s\) \[5\]"):
        target_weights(frozenset({4, 5}), None, {4: 1.0, 5: None})
    with pytest.raises(ReweightError, match=">= 0"):
        target_weights(frozenset({4}), -1.0, {})


def test_an_osd_original_weight_has_its_own_ledger_key() -> None:
    assert ledger_key(4) == "weights:4"


def test_a_step_is_taken_while_moving_pgs_stay_under_the_cap() -> None:
    d = decide({4: 1.0, 5: 1.0}, {4: 0.0, 5: 0.0}, 0.5, moving_pgs=3, max_moving_pgs=4)
    assert d.action is Action.STEP
    assert d.changes == {4: 0.5, 5: 0.5}
    assert d.steps_left == 2


def test_at_the_cap_the_reweight_waits_and_changes_nothing() -> None:
    d = decide({4: 0.5}, {4: 0.0}, 0.5, moving_pgs=4, max_moving_pgs=4)
    assert d.action is Action.WAIT
    assert d.changes == {}
    assert "4 PGs are moving data, the cap is 4" in d.reason


def test_at_the_target_it_is_done_even_with_pgs_moving() -> None:
    d = decide({4: 0.0}, {4: 0.0}, 0.5, moving_pgs=100, max_moving_pgs=4)
    assert d.action is Action.DONE
    assert (d.changes, d.steps_left) == ({}, 0)


def test_without_a_step_everything_moves_at_once() -> None:
    d = decide({4: 1.0, 5: 0.25}, {4: 0.0, 5: 0.0}, None, moving_pgs=0, max_moving_pgs=4)
    assert d.changes == {4: 0.0, 5: 0.0}
