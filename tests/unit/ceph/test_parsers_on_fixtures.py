"""The parsers read JSON captured from the real sandbox cluster in four states."""

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
    OsdTree,
    PgStat,
    Pool,
    SafeToDestroy,
    Status,
    parse_as,
    parse_list,
)
from ceph_tasks.decisions.movers import config_flag

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
STATES = ("healthy", "draining", "osd_down", "host_out")
SANDBOX_HOSTS = {"node0": {0, 1}, "node1": {2, 3}, "node2": {4, 5}}


def fixture(state: str, name: str) -> Any:
    return json.loads((FIXTURES / state / f"{name}.json").read_text())


def status(state: str) -> Status:
    return parse_as(Status, fixture(state, "status"), "status")


@pytest.mark.parametrize("state", STATES)
def test_every_captured_answer_parses(state: str) -> None:
    status(state)
    parse_as(Health, fixture(state, "health_detail"), "health detail")
    parse_as(OsdTree, fixture(state, "osd_tree"), "osd tree")
    parse_as(OsdDf, fixture(state, "osd_df"), "osd df")
    parse_as(PgStat, fixture(state, "pg_stat"), "pg stat")
    parse_list(Pool, fixture(state, "osd_pool_ls_detail"), "osd pool ls detail")
    parse_list(CrushRule, fixture(state, "osd_crush_rule_dump"), "osd crush rule dump")
    parse_as(OkToStop, fixture(state, "osd_ok_to_stop"), "osd ok-to-stop")
    parse_as(SafeToDestroy, fixture(state, "osd_safe_to_destroy"), "osd safe-to-destroy")


def test_healthy_cluster_reports_ok_and_every_pg_active_clean() -> None:
    s = status("healthy")
    assert s.health.ok and s.health.checks == {}
    assert (s.osdmap.num_osds, s.osdmap.num_up_osds, s.osdmap.num_in_osds) == (6, 6, 6)
    assert s.pgmap.all_active_clean and s.pgmap.num_pgs == 33
    assert s.pgmap.num_objects == 400


def test_zero_object_counters_missing_from_a_healthy_pgmap_read_as_zero() -> None:
    raw = fixture("healthy", "status")["pgmap"]
    assert "degraded_objects" not in raw and "misplaced_objects" not in raw
    pgmap = status("healthy").pgmap
    assert (pgmap.degraded_objects, pgmap.misplaced_objects, pgmap.unfound_objects) == (0, 0, 0)


def test_draining_shows_misplaced_objects_and_pgs_moving_data() -> None:
    s = status("draining")
    assert s.health.status is HealthStatus.WARN
    assert s.pgmap.misplaced_objects > 0
    assert not s.pgmap.all_active_clean
    # The sandbox's small PGs move by log-based recovery, not backfill.
    assert s.pgmap.moving > 0 and s.pgmap.recovering == s.pgmap.moving
    assert s.pgmap.backfilling == 0
    stat = parse_as(PgStat, fixture("draining", "pg_stat"), "pg stat")
    assert stat.misplaced_objects == 33 and stat.moving == 9 and stat.count_in("peering") == 14


def test_draining_tree_shows_the_drained_host_at_weight_zero() -> None:
    tree = parse_as(OsdTree, fixture("draining", "osd_tree"), "osd tree")
    assert tree.crush_weights(frozenset({2, 3})) == {2: 0.0, 3: 0.0}
    assert tree.crush_weights(frozenset({0, 4})) == {0: 1.0, 4: 1.0}
    df = parse_as(OsdDf, fixture("draining", "osd_df"), "osd df")
    assert df.pgs_on(frozenset({2, 3})) == 0


def test_osd_down_shows_degraded_objects_and_the_down_osd() -> None:
    s = status("osd_down")
    assert s.osdmap.num_down_osds == 1 and s.osdmap.num_in_osds == 6
    assert s.pgmap.degraded_objects == 112 and s.pgmap.count_in("undersized") == 10
    assert set(s.health.checks) == {"OSD_DOWN", "PG_DEGRADED"}
    tree = parse_as(OsdTree, fixture("osd_down", "osd_tree"), "osd tree")
    assert tree.down_osds() == (0,)


def test_health_detail_keeps_the_detail_lines_as_text() -> None:
    health = parse_as(Health, fixture("osd_down", "health_detail"), "health detail")
    down = health.checks["OSD_DOWN"]
    assert down.severity is HealthStatus.WARN and down.summary.count == 1
    assert down.detail == ("osd.0 (root=default,host=node0) is down",)
    assert len(health.checks["PG_DEGRADED"].detail) == 10
    assert health.unmuted_checks().keys() == {"OSD_DOWN", "PG_DEGRADED"}


def test_host_out_counts_osds_in_and_leaves_its_osds_without_pgs() -> None:
    s = status("host_out")
    assert (s.osdmap.num_up_osds, s.osdmap.num_in_osds) == (6, 4)
    assert s.health.ok and s.pgmap.all_active_clean
    tree = parse_as(OsdTree, fixture("host_out", "osd_tree"), "osd tree")
    assert {n.id for n in tree.osds() if n.out} == {4, 5}
    df = parse_as(OsdDf, fixture("host_out", "osd_df"), "osd df")
    assert df.pgs_on(frozenset({4, 5})) == 0 and df.pgs_on(frozenset({0, 1, 2, 3})) > 0


@pytest.mark.parametrize("state", STATES)
def test_tree_lists_every_host_with_its_osds(state: str) -> None:
    tree = parse_as(OsdTree, fixture(state, "osd_tree"), "osd tree")
    assert tree.hosts() == SANDBOX_HOSTS
    assert tree.host_of(3) == "node1" and tree.host_of(42) is None


def test_osd_df_reports_utilisation_space_and_pgs_per_osd() -> None:
    df = parse_as(OsdDf, fixture("healthy", "osd_df"), "osd df")
    assert [n.id for n in df.nodes] == [0, 1, 2, 3, 4, 5]
    osd = df.osd(3)
    assert osd is not None and osd.kb == 262144 and 0 < osd.kb_used < osd.kb
    assert 0 < osd.utilization < 100 and osd.pgs > 0
    assert df.summary.total_kb == 6 * 262144 and df.osd(9) is None


def test_ok_to_stop_says_yes_for_one_host_of_a_healthy_cluster() -> None:
    answer = parse_as(OkToStop, fixture("healthy", "osd_ok_to_stop"), "osd ok-to-stop")
    assert answer.ok_to_stop and answer.osds == (4, 5) and answer.num_not_ok_pgs == 0


def test_ok_to_stop_refusal_lists_pgs_that_would_become_inactive() -> None:
    answer = parse_as(OkToStop, fixture("osd_down", "osd_ok_to_stop"), "osd ok-to-stop")
    assert not answer.ok_to_stop and answer.num_not_ok_pgs == 4
    assert len(answer.bad_become_inactive) == 4
    meta = fixture("osd_down", "meta")["commands"]["osd_ok_to_stop"]
    assert meta["exit"] == 16 and meta["stderr"].startswith("Error EBUSY")


def test_safe_to_destroy_exits_zero_while_unsafe_and_the_list_decides() -> None:
    meta = fixture("healthy", "meta")["commands"]["osd_safe_to_destroy"]
    assert meta["exit"] == 0
    healthy = parse_as(SafeToDestroy, fixture("healthy", "osd_safe_to_destroy"), "")
    assert healthy.active == (4, 5) and not healthy.all_safe([4, 5])
    draining = parse_as(SafeToDestroy, fixture("draining", "osd_safe_to_destroy"), "")
    assert draining.stored_pgs == (2, 3) and not draining.all_safe([2])
    down = parse_as(SafeToDestroy, fixture("osd_down", "osd_safe_to_destroy"), "")
    assert down.missing_stats == (0,) and not down.all_safe([0])
    out = parse_as(SafeToDestroy, fixture("host_out", "osd_safe_to_destroy"), "")
    assert out.all_safe([4, 5]) and not out.all_safe([4, 5, 0]) and not out.all_safe([])


def test_pools_and_rules_give_size_min_size_and_failure_domain() -> None:
    pools = parse_list(Pool, fixture("healthy", "osd_pool_ls_detail"), "")
    assert {(p.pool_name, p.size, p.min_size, p.crush_rule) for p in pools} == {
        ("device_health_metrics", 2, 1, 0), ("data", 2, 1, 0)}
    rules = parse_list(CrushRule, fixture("healthy", "osd_crush_rule_dump"), "")
    assert [(r.rule_id, r.rule_name, r.failure_domain) for r in rules] == [
        (0, "replicated_rule", "host")]


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
