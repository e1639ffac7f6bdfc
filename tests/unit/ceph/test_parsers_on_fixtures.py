"""The parsers read JSON captured from real sandbox clusters of Pacific and Reef in four states.

Pacific's states are in tests/fixtures/ceph/<state>, Reef's in tests/fixtures/ceph/reef/<state>
(tests/fixtures/ceph/capture.py). Both were taken from a moving cluster: the counts asserted
for one release are what that capture saw, not what the other must show. A later Pacific run
on the sandbox of Reef's capture (one CRUSH rule per pool) is in tests/fixtures/ceph/pacific:
its drain was over before it could be seen, so it holds the steady states only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ceph_tasks.ceph.models import (
    CephDevice,
    CrushRule,
    Health,
    HealthStatus,
    OkToStop,
    OsdDf,
    OsdDump,
    OsdPerf,
    OsdTree,
    PgDump,
    PgStat,
    Pool,
    SafeToDestroy,
    Status,
    Versions,
    parse_as,
    parse_list,
)
from ceph_tasks.decisions.movers import config_flag

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
#: Each release's folder of captured states.
RELEASES = {"pacific": FIXTURES, "reef": FIXTURES / "reef"}
STATES = ("healthy", "draining", "osd_down", "host_out")
SANDBOX_HOSTS = {"node0": {0, 1}, "node1": {2, 3}, "node2": {4, 5}}


def fixture(state: str, name: str, release: str = "pacific") -> Any:
    return json.loads((RELEASES[release] / state / f"{name}.json").read_text())


def status(state: str, release: str = "pacific") -> Status:
    return parse_as(Status, fixture(state, "status", release), "status")


def captured(state: str, name: str, release: str) -> bool:
    return (RELEASES[release] / state / f"{name}.json").exists()


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("state", STATES)
def test_every_captured_answer_parses(state: str, release: str) -> None:
    status(state, release)
    parse_as(Health, fixture(state, "health_detail", release), "health detail")
    parse_as(OsdTree, fixture(state, "osd_tree", release), "osd tree")
    parse_as(OsdDf, fixture(state, "osd_df", release), "osd df")
    parse_as(PgStat, fixture(state, "pg_stat", release), "pg stat")
    parse_list(Pool, fixture(state, "osd_pool_ls_detail", release), "osd pool ls detail")
    parse_list(CrushRule, fixture(state, "osd_crush_rule_dump", release), "osd crush rule dump")
    parse_as(OkToStop, fixture(state, "osd_ok_to_stop", release), "osd ok-to-stop")
    parse_as(SafeToDestroy, fixture(state, "osd_safe_to_destroy", release), "osd safe-to-destroy")
    # Read in only some of the captures (later additions to the capture script).
    for name, model in (("osd_dump", OsdDump), ("osd_perf", OsdPerf),
                        ("pg_dump_pgs_brief", PgDump), ("versions", Versions)):
        if captured(state, name, release):
            parse_as(model, fixture(state, name, release), name)


@pytest.mark.parametrize("state", ["healthy", "flags_set"])
def test_every_answer_of_the_later_pacific_run_parses(state: str) -> None:
    folder = FIXTURES / "pacific" / state
    for name, model in (("status", Status), ("health_detail", Health), ("osd_tree", OsdTree),
                        ("osd_df", OsdDf), ("pg_stat", PgStat), ("osd_dump", OsdDump),
                        ("pg_dump_pgs_brief", PgDump), ("versions", Versions)):
        parse_as(model, json.loads((folder / f"{name}.json").read_text()), name)
    for name, item in (("osd_pool_ls_detail", Pool), ("osd_crush_rule_dump", CrushRule)):
        parse_list(item, json.loads((folder / f"{name}.json").read_text()), name)


@pytest.mark.parametrize("release", RELEASES)
def test_flags_set_parses_on_both_releases(release: str) -> None:
    s = status("flags_set", release)
    assert set(s.health.checks) == {"OSDMAP_FLAGS", "OSD_FLAGS"}
    dump = parse_as(OsdDump, fixture("flags_set", "osd_dump", release), "osd dump")
    assert {"noscrub", "nodeep-scrub"} <= dump.flags
    assert dump.host_flags("node1") == frozenset({"noout"})


@pytest.mark.parametrize(("release", "objects"), [("pacific", 400), ("reef", 402)])
def test_healthy_cluster_reports_ok_and_every_pg_active_clean(release: str, objects: int) -> None:
    s = status("healthy", release)
    assert s.health.ok and s.health.checks == {}
    assert (s.osdmap.num_osds, s.osdmap.num_up_osds, s.osdmap.num_in_osds) == (6, 6, 6)
    assert s.pgmap.all_active_clean and s.pgmap.num_pgs == 33
    assert s.pgmap.num_objects == objects


@pytest.mark.parametrize("release", RELEASES)
def test_zero_object_counters_missing_from_a_healthy_pgmap_read_as_zero(release: str) -> None:
    raw = fixture("healthy", "status", release)["pgmap"]
    assert "degraded_objects" not in raw and "misplaced_objects" not in raw
    pgmap = status("healthy", release).pgmap
    assert (pgmap.degraded_objects, pgmap.misplaced_objects, pgmap.unfound_objects) == (0, 0, 0)


@pytest.mark.parametrize("release", RELEASES)
def test_draining_shows_misplaced_objects_and_pgs_moving_data(release: str) -> None:
    s = status("draining", release)
    assert s.pgmap.misplaced_objects > 0 and s.pgmap.moving > 0
    assert not s.pgmap.all_active_clean


def test_pacific_s_drain_moved_by_recovery_and_warned() -> None:
    s = status("draining")
    assert s.health.status is HealthStatus.WARN
    # The small PGs of the sandbox of the time moved by log-based recovery, not backfill.
    assert s.pgmap.recovering == s.pgmap.moving and s.pgmap.backfilling == 0
    stat = parse_as(PgStat, fixture("draining", "pg_stat"), "pg stat")
    assert stat.misplaced_objects == 33 and stat.moving == 9 and stat.count_in("peering") == 14


def test_reef_s_drain_moved_by_backfill_before_health_caught_up() -> None:
    s = status("draining", "reef")
    # Captured a moment into the drain: the health checks had not been raised yet.
    assert s.health.ok and s.pgmap.misplaced_objects == 20
    assert s.pgmap.backfilling == s.pgmap.moving == 2 and s.pgmap.recovering == 0
    assert s.pgmap.count_in("peering") == 8 and s.pgmap.count_in("remapped") == 8
    # `pg stat` was read a few seconds later, when the PGs had moved.
    stat = parse_as(PgStat, fixture("draining", "pg_stat", "reef"), "pg stat")
    assert stat.misplaced_objects == 0 and stat.pg_ready


@pytest.mark.parametrize("release", RELEASES)
def test_draining_tree_shows_the_drained_host_at_weight_zero(release: str) -> None:
    tree = parse_as(OsdTree, fixture("draining", "osd_tree", release), "osd tree")
    assert tree.crush_weights(frozenset({2, 3})) == {2: 0.0, 3: 0.0}
    assert tree.crush_weights(frozenset({0, 4})) == {0: 1.0, 4: 1.0}
    df = parse_as(OsdDf, fixture("draining", "osd_df", release), "osd df")
    assert df.pgs_on(frozenset({2, 3})) == 0


@pytest.mark.parametrize(("release", "degraded", "undersized", "checks"), [
    ("pacific", 112, 10, {"OSD_DOWN", "PG_DEGRADED"}),
    ("reef", 67, 5, {"OSD_DOWN", "PG_DEGRADED", "PG_AVAILABILITY"}),
])
def test_osd_down_shows_degraded_objects_and_the_down_osd(
        release: str, degraded: int, undersized: int, checks: set[str]) -> None:
    s = status("osd_down", release)
    assert s.osdmap.num_down_osds == 1 and s.osdmap.num_in_osds == 6
    assert s.pgmap.degraded_objects == degraded
    assert s.pgmap.count_in("undersized") == undersized
    assert set(s.health.checks) == checks
    tree = parse_as(OsdTree, fixture("osd_down", "osd_tree", release), "osd tree")
    assert tree.down_osds() == (0,)


@pytest.mark.parametrize(("release", "degraded_pgs"), [("pacific", 10), ("reef", 5)])
def test_health_detail_keeps_the_detail_lines_as_text(release: str, degraded_pgs: int) -> None:
    health = parse_as(Health, fixture("osd_down", "health_detail", release), "health detail")
    down = health.checks["OSD_DOWN"]
    assert down.severity is HealthStatus.WARN and down.summary.count == 1
    assert down.detail == ("osd.0 (root=default,host=node0) is down",)
    assert len(health.checks["PG_DEGRADED"].detail) == degraded_pgs
    assert {"OSD_DOWN", "PG_DEGRADED"} <= health.unmuted_checks().keys()


@pytest.mark.parametrize("release", RELEASES)
def test_host_out_counts_osds_in_and_leaves_its_osds_without_pgs(release: str) -> None:
    s = status("host_out", release)
    assert (s.osdmap.num_up_osds, s.osdmap.num_in_osds) == (6, 4)
    assert s.health.ok and s.pgmap.all_active_clean
    tree = parse_as(OsdTree, fixture("host_out", "osd_tree", release), "osd tree")
    assert {n.id for n in tree.osds() if n.out} == {4, 5}
    df = parse_as(OsdDf, fixture("host_out", "osd_df", release), "osd df")
    assert df.pgs_on(frozenset({4, 5})) == 0 and df.pgs_on(frozenset({0, 1, 2, 3})) > 0


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("state", STATES)
def test_tree_lists_every_host_with_its_osds(state: str, release: str) -> None:
    tree = parse_as(OsdTree, fixture(state, "osd_tree", release), "osd tree")
    assert tree.hosts() == SANDBOX_HOSTS
    assert tree.host_of(3) == "node1" and tree.host_of(42) is None


@pytest.mark.parametrize("release", RELEASES)
def test_osd_df_reports_utilisation_space_and_pgs_per_osd(release: str) -> None:
    df = parse_as(OsdDf, fixture("healthy", "osd_df", release), "osd df")
    assert [n.id for n in df.nodes] == [0, 1, 2, 3, 4, 5]
    osd = df.osd(3)
    assert osd is not None and osd.kb == 262144 and 0 < osd.kb_used < osd.kb
    assert 0 < osd.utilization < 100 and osd.pgs > 0
    assert df.summary.total_kb == 6 * 262144 and df.osd(9) is None


@pytest.mark.parametrize("release", RELEASES)
def test_ok_to_stop_says_yes_for_one_host_of_a_healthy_cluster(release: str) -> None:
    answer = parse_as(OkToStop, fixture("healthy", "osd_ok_to_stop", release), "osd ok-to-stop")
    assert answer.ok_to_stop and answer.osds == (4, 5) and answer.num_not_ok_pgs == 0


@pytest.mark.parametrize("release", RELEASES)
def test_ok_to_stop_refusal_lists_pgs_that_would_become_inactive(release: str) -> None:
    answer = parse_as(OkToStop, fixture("osd_down", "osd_ok_to_stop", release),
                      "osd ok-to-stop")
    assert not answer.ok_to_stop and answer.num_not_ok_pgs == 4
    assert len(answer.bad_become_inactive) == 4
    meta = fixture("osd_down", "meta", release)["commands"]["osd_ok_to_stop"]
    assert meta["exit"] == 16 and meta["stderr"].startswith("Error EBUSY")


@pytest.mark.parametrize("release", RELEASES)
def test_safe_to_destroy_exits_zero_while_unsafe_and_the_list_decides(release: str) -> None:
    meta = fixture("healthy", "meta", release)["commands"]["osd_safe_to_destroy"]
    assert meta["exit"] == 0
    healthy = parse_as(SafeToDestroy, fixture("healthy", "osd_safe_to_destroy", release), "")
    assert healthy.active == (4, 5) and not healthy.all_safe([4, 5])
    down = parse_as(SafeToDestroy, fixture("osd_down", "osd_safe_to_destroy", release), "")
    assert down.missing_stats == (0,) and not down.all_safe([0])
    out = parse_as(SafeToDestroy, fixture("host_out", "osd_safe_to_destroy", release), "")
    assert out.all_safe([4, 5]) and not out.all_safe([4, 5, 0]) and not out.all_safe([])


def test_safe_to_destroy_names_pgs_still_stored_while_pacific_drained() -> None:
    draining = parse_as(SafeToDestroy, fixture("draining", "osd_safe_to_destroy"), "")
    assert draining.stored_pgs == (2, 3) and not draining.all_safe([2])


def test_safe_to_destroy_answered_yes_once_reef_s_drain_left_the_osds() -> None:
    # Read after the last PG left them, though objects were still misplaced elsewhere.
    draining = parse_as(SafeToDestroy, fixture("draining", "osd_safe_to_destroy", "reef"), "")
    assert draining.all_safe([2, 3]) and draining.stored_pgs == ()


def test_pools_and_rules_give_size_min_size_and_failure_domain() -> None:
    pools = parse_list(Pool, fixture("healthy", "osd_pool_ls_detail"), "")
    assert {(p.pool_name, p.size, p.min_size, p.crush_rule) for p in pools} == {
        ("device_health_metrics", 2, 1, 0), ("data", 2, 1, 0)}
    rules = parse_list(CrushRule, fixture("healthy", "osd_crush_rule_dump"), "")
    assert [(r.rule_id, r.rule_name, r.failure_domain) for r in rules] == [
        (0, "replicated_rule", "host")]


def test_reef_pools_and_rules_without_ruleset_or_rule_sizes_read_the_same() -> None:
    raw_rules = fixture("healthy", "osd_crush_rule_dump", "reef")
    # Reef dropped a rule's ruleset, min_size and max_size, which nothing here reads.
    assert all("ruleset" not in r and "min_size" not in r for r in raw_rules)
    rules = parse_list(CrushRule, raw_rules, "")
    assert [(r.rule_id, r.rule_name, r.failure_domain) for r in rules] == [
        (0, "replicated_rule", "host"), (1, "data-rule", "host")]
    # The manager's pool is .mgr from Quincy on (device_health_metrics before).
    pools = parse_list(Pool, fixture("healthy", "osd_pool_ls_detail", "reef"), "")
    assert {(p.pool_name, p.size, p.min_size, p.crush_rule) for p in pools} == {
        ("data", 2, 1, 1), (".mgr", 2, 1, 0)}


@pytest.mark.parametrize("release", RELEASES)
def test_pg_dump_brief_lists_every_pg_with_its_osds(release: str) -> None:
    dump = parse_as(PgDump, fixture("draining", "pg_dump_pgs_brief", release)
                    if captured("draining", "pg_dump_pgs_brief", release)
                    else fixture("remapped_default", "pg_dump_pgs_brief"), "pg dump")
    assert len(dump.pg_stats) == 33 and dump.pg_ready
    assert all(pg.up and pg.acting for pg in dump.pg_stats)


def test_the_epoch_each_down_osd_was_marked_down_in_and_when_that_epoch_was_made() -> None:
    killed = FIXTURES / "osds_killed"
    dump = OsdDump.model_validate(json.loads((killed / "osd_dump.json").read_text()))
    # Killed, osd.3 is marked down by its peers' reports; stopped, osd.5 marks itself down.
    assert dump.down_at == {3: 26, 5: 28}
    marked = OsdDump.model_validate(json.loads((killed / "osd_dump_26.json").read_text()))
    assert marked.epoch == 26
    assert marked.modified == datetime(2026, 12, 6, 11, 26, 54, 881746, tzinfo=UTC)
    # Pacific leaves osd_xinfo's down_stamp unset for both: not a way to time a failure.
    xinfo = json.loads((killed / "osd_dump.json").read_text())["osd_xinfo"]
    assert {x["osd"]: x["down_stamp"] for x in xinfo}[3] == "0.000000"


def test_a_sandbox_lists_no_devices_and_self_heal_on() -> None:
    killed = FIXTURES / "osds_killed"
    assert parse_list(CephDevice, json.loads((killed / "device_ls.json").read_text()),
                      "device ls") == ()
    assert config_flag((killed / "config_get_self_heal.json").read_text()) is True
