"""Enough failure domains left for every pool, on captured and hand-built CRUSH maps."""

from __future__ import annotations

from ceph_tasks.decisions.failure_domains import domains_left, removal_shortfalls
from ceph_tasks.decisions.preconditions import removal_problems
from tests.unit.ceph_tasks.crush_maps import (
    captured_pools,
    captured_rules,
    captured_tree,
    pool,
    rule,
    tree,
)

HOST_RULE = rule(0, "replicated_rule", "default", ("chooseleaf_firstn", 0, "host"))


def problems(state: str, *hosts: str) -> list[str]:
    return removal_problems(captured_tree(state), captured_pools(state), captured_rules(state),
                            hosts)


def test_removing_one_of_three_hosts_leaves_two_for_size_two_pools() -> None:
    assert problems("healthy", "node2") == []


def test_removing_two_of_three_hosts_names_each_pool_its_size_rule_and_what_is_left() -> None:
    found = problems("healthy", "node1", "node2")
    assert len(found) == 2
    data = next(p for p in found if "pool data " in p)
    assert data == ("pool data (size 2) needs 2 host failure domains under root default by "
                    "CRUSH rule replicated_rule, but only 1 host would be left (node0)")


def test_a_host_drained_to_weight_zero_is_no_failure_domain_any_more() -> None:
    # In the draining capture node1's OSDs are at weight 0: only node0 would stay.
    assert domains_left(captured_tree("draining"), "default", "host", ()) == ("node0", "node2")
    assert any("only 1 host would be left (node0)" in p for p in problems("draining", "node2"))


def test_a_host_marked_out_is_no_failure_domain_but_removing_it_is_fine() -> None:
    assert problems("host_out", "node2") == []
    assert any("only 1 host would be left (node0)" in p for p in problems("host_out", "node1"))


def test_an_unknown_host_removes_nothing() -> None:
    assert problems("healthy", "node9") == []


def test_an_erasure_coded_pool_needs_k_plus_m_domains() -> None:
    five = tree({"r1": {f"h{i}": [(i, 1.0)] for i in range(5)}})
    ec = rule(1, "ec42", "default", ("chooseleaf_indep", 0, "host"))
    pools = [pool("ec", 4, rule=1, erasure=True)]
    assert removal_shortfalls(five, pools, [ec], removed=[4]) == ()
    (short,) = removal_shortfalls(five, pools, [ec], removed=[3, 4])
    assert (short.pool, short.size, short.needed, short.left) == ("ec", 4, 4, ("h0", "h1", "h2"))
    assert short.describe().startswith("erasure-coded pool ec (size 4) needs 4 host")


def test_rules_over_racks_then_hosts_are_checked_at_both_levels() -> None:
    racks = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 1.0)]},
                  "r2": {"c": [(2, 1.0)], "d": [(3, 1.0)]},
                  "r3": {"e": [(4, 1.0)]}})
    by_rack = rule(0, "rack_then_host", "default",
                   ("choose_firstn", 0, "rack"), ("chooseleaf_firstn", 1, "host"))
    pools = [pool("data", 3)]
    assert removal_shortfalls(racks, pools, [by_rack], removed=[0]) == ()
    (short,) = removal_shortfalls(racks, pools, [by_rack], removed=[4])
    assert (short.domain_type, short.needed, short.left) == ("rack", 3, ("r1", "r2"))


def test_a_device_class_rule_counts_only_that_class() -> None:
    mixed = tree({"r1": {"a": [(0, 1.0, {"device_class": "ssd"}), (1, 1.0)],
                         "b": [(2, 1.0, {"device_class": "ssd"})],
                         "c": [(3, 1.0)]}})
    ssd = rule(2, "fast", "default~ssd", ("chooseleaf_firstn", 0, "host"))
    (short,) = removal_shortfalls(mixed, [pool("fast", 2, rule=2)], [ssd], removed=[2])
    assert short.root == "default~ssd" and short.left == ("a",)


def test_osds_out_destroyed_or_at_weight_zero_hold_no_domain_up() -> None:
    hosts = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 0.0)], "c": [(2, 1.0, {"reweight": 0})],
                         "d": [(3, 1.0, {"status": "destroyed"})],
                         "e": [(4, 1.0, {"status": "down"})]}})
    # A down OSD that is still in comes back or gets marked out: it still counts for now.
    assert domains_left(hosts, "default", "host") == ("a", "e")


def test_osd_level_rules_count_osds() -> None:
    one_host = tree({"r1": {"a": [(0, 1.0), (1, 1.0), (2, 1.0)]}})
    per_osd = rule(0, "by_osd", "default", ("chooseleaf_firstn", 0, "osd"))
    assert removal_shortfalls(one_host, [pool("p", 2)], [per_osd], removed=[0]) == ()
    (short,) = removal_shortfalls(one_host, [pool("p", 2)], [per_osd], removed=[0, 1])
    assert short.left == ("osd.2",)


def test_a_pool_whose_rule_is_missing_cannot_be_proven_safe() -> None:
    three = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 1.0)], "c": [(2, 1.0)]}})
    (short,) = removal_shortfalls(three, [pool("orphan", 2, rule=7)], [HOST_RULE], removed=[])
    assert "#7 (missing)" in short.describe()


def test_a_root_that_is_not_in_the_tree_leaves_nothing() -> None:
    three = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 1.0)]}})
    elsewhere = rule(0, "other", "nowhere", ("chooseleaf_firstn", 0, "host"))
    (short,) = removal_shortfalls(three, [pool("p", 2)], [elsewhere], removed=[])
    assert short.left == ()
