"""Enough failure domains left for every pool, on captured and hand-built CRUSH maps."""

from __future__ import annotations

from ceph_tasks.decisions.failure_domains import (
    domains_left,
    pool_domains,
    removal_shortfalls,
    rule_reaches,
)
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


# The report: every pool's domains before and after, against what it needs.


def test_a_host_level_pool_reports_its_hosts_before_and_after() -> None:
    node2 = (4, 5)
    report = pool_domains(captured_tree("healthy"), captured_pools("healthy"),
                          captured_rules("healthy"), node2)
    assert [(p.pool, p.rule, p.size) for p in report] == [
        ("data", "replicated_rule", 2), ("device_health_metrics", "replicated_rule", 2)]
    (level,) = report[0].levels
    assert (level.domain_type, level.root, level.needed) == ("host", "default", 2)
    assert (level.before, level.after) == (("node0", "node1", "node2"), ("node0", "node1"))
    assert report[0].describe() == "hosts 3 -> 2: ok"
    assert report[0].ok and report[0].changed


FOUR_RACKS = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 1.0)]}, "r2": {"c": [(2, 1.0)]},
                   "r3": {"d": [(3, 1.0)]}, "r4": {"e": [(4, 1.0)]}})
RACK_RULE = rule(1, "rbd_rack", "default", ("chooseleaf_firstn", 0, "rack"))


def test_a_rack_level_pool_loses_a_rack_only_with_the_racks_last_host() -> None:
    rbd = [pool("rbd", 3, rule=1)]
    (one_of_two,) = pool_domains(FOUR_RACKS, rbd, [RACK_RULE], removed=[0])
    assert one_of_two.describe() == "racks 4 -> 4: ok" and not one_of_two.changed
    (last,) = pool_domains(FOUR_RACKS, rbd, [RACK_RULE], removed=[4])
    assert last.describe() == "racks 4 -> 3: ok" and last.ok


def test_a_rack_level_pool_left_with_fewer_racks_than_copies_is_short() -> None:
    (short,) = pool_domains(FOUR_RACKS, [pool("rbd", 3, rule=1)], [RACK_RULE],
                            removed=[3, 4])
    assert short.describe() == "racks 4 -> 2: short of 1 (needs 3)"
    assert not short.ok
    (shortfall,) = short.shortfalls()
    assert shortfall.describe() == (
        "pool rbd (size 3) needs 3 rack failure domains under root default by CRUSH rule "
        "rbd_rack, but only 2 rack would be left (r1, r2)")


def test_an_ssd_pool_is_short_when_the_host_holds_its_last_ssd_osds() -> None:
    ssd = {"device_class": "ssd"}
    mixed = tree({"r1": {"a": [(0, 1.0, ssd), (1, 1.0)], "b": [(2, 1.0, ssd), (3, 1.0)],
                         "c": [(4, 1.0, ssd), (5, 1.0, ssd), (6, 1.0)], "d": [(7, 1.0)]}})
    rules = [rule(1, "fast", "default~ssd", ("chooseleaf_firstn", 0, "host")),
             rule(2, "slow", "default~hdd", ("chooseleaf_firstn", 0, "host"))]
    pools = [pool("fast", 3, rule=1), pool("slow", 3, rule=2)]
    fast, slow = pool_domains(mixed, pools, rules, removed=[4, 5, 6])
    assert fast.describe() == "hosts 3 -> 2: short of 1 (needs 3)"
    assert fast.levels[0].root == "default~ssd" and fast.levels[0].after == ("a", "b")
    # The same host holds an hdd OSD, but the hdd pool has a fourth host to spare.
    assert slow.describe() == "hosts 4 -> 3: ok"


def test_an_erasure_coded_pool_with_k_plus_m_hosts_can_lose_none() -> None:
    six = tree({"r1": {f"h{i}": [(i, 1.0)] for i in range(6)}})
    ec = rule(3, "ec_4_2", "default", ("chooseleaf_indep", 0, "host"))
    (report,) = pool_domains(six, [pool("ec", 6, rule=3, erasure=True)], [ec], removed=[5])
    assert report.erasure and report.describe() == "hosts 6 -> 5: short of 1 (needs 6)"
    (shortfall,) = report.shortfalls()
    assert shortfall.describe().startswith("erasure-coded pool ec (size 6) needs 6 host")


def test_a_rack_then_host_rule_reports_both_levels() -> None:
    racks = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 1.0)]},
                  "r2": {"c": [(2, 1.0)], "d": [(3, 1.0)]},
                  "r3": {"e": [(4, 1.0)]}})
    by_rack = rule(0, "rack_then_host", "default",
                   ("choose_firstn", 0, "rack"), ("chooseleaf_firstn", 1, "host"))
    (report,) = pool_domains(racks, [pool("data", 3)], [by_rack], removed=[4])
    assert report.describe() == "racks 3 -> 2: short of 1 (needs 3); hosts 5 -> 4: ok"


def test_a_pool_on_another_root_is_not_changed_by_the_removal() -> None:
    two_roots = [rule(0, "main", "default", ("chooseleaf_firstn", 0, "host")),
                 rule(1, "elsewhere", "archive", ("chooseleaf_firstn", 0, "host"))]
    three = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 1.0)], "c": [(2, 1.0)]}})
    main, other = pool_domains(three, [pool("main", 2), pool("other", 2, rule=1)], two_roots,
                               removed=[0])
    assert main.changed and not other.changed
    # The archive root is not in this tree: the pool was short before anything is removed.
    assert other.describe() == "hosts 0 -> 0: short of 2 (needs 2)"


def test_osds_being_added_count_after_and_not_before() -> None:
    three = tree({"r1": {"a": [(0, 1.0)], "b": [(1, 1.0)], "c": [(2, 1.0)]}})
    (report,) = pool_domains(three, [pool("p", 3)], [HOST_RULE], added=[2])
    assert report.describe() == "hosts 2 -> 3: ok" and report.changed


def test_a_rule_reaches_only_osds_under_its_root_and_of_its_class() -> None:
    mixed = tree({"r1": {"a": [(0, 1.0, {"device_class": "ssd"}), (1, 1.0)]}})
    ssd = rule(1, "fast", "default~ssd", ("chooseleaf_firstn", 0, "host"))
    elsewhere = rule(2, "other", "archive", ("chooseleaf_firstn", 0, "host"))
    assert rule_reaches(mixed, ssd, [0]) and not rule_reaches(mixed, ssd, [1])
    assert rule_reaches(mixed, HOST_RULE, [1]) and not rule_reaches(mixed, elsewhere, [0, 1])
