"""The watch's decision table: which disks failed or fail, and what is done about each."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from ceph_tasks.ceph.models import CephDevice, OsdDump, OsdTree, Pool, Status, parse_list
from ceph_tasks.decisions.disk_failures import (
    Action,
    FailureKind,
    Look,
    Memory,
    decide,
    find_failures,
)
from inventory import Cluster, FailureAction, MaintenanceWindow, Weekday
from tests.support.lab import lab_cluster
from tests.unit.ceph_tasks.crush_maps import captured

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=UTC)  # a Wednesday afternoon
GRACE = 600.0


def cluster(action: FailureAction = FailureAction.PROPOSE, **changes: Any) -> Cluster:
    lab = lab_cluster()
    policy = lab.failures.model_copy(update={"action": action, "down_grace_seconds": GRACE})
    return lab.model_copy(update={"failures": policy, **changes})


def look(down: dict[int, float] | None = None, *, checks: dict[str, Any] | None = None,
         pools: tuple[tuple[int, int], ...] = (), devices: list[dict[str, Any]] | None = None,
         inactive: int = 0) -> Look:
    """The osd_down capture with these OSDs down for that many seconds (osd.0: 700 s)."""
    down = {0: 700.0} if down is None else down
    tree = captured("osd_down", "osd_tree")
    for node in tree["nodes"]:
        if node["type"] == "osd":
            node["status"] = "down" if node["id"] in down else "up"
    dump = captured("healthy", "osd_dump")
    status = captured("osd_down" if down else "healthy", "status")
    if len(down) > 1:
        status["health"]["checks"]["OSD_DOWN"]["summary"] = {
            "message": f"{len(down)} osds down", "count": len(down)}
    status["health"]["checks"].update(checks or {})
    if inactive:
        status["pgmap"]["pgs_by_state"][0]["count"] -= inactive
        status["pgmap"]["pgs_by_state"].append(
            {"state_name": "undersized+degraded+peered", "count": inactive})
    raw_pools = captured("osd_down", "osd_pool_ls_detail")
    for pool, (size, min_size) in zip(raw_pools, pools, strict=False):
        pool.update(size=size, min_size=min_size)
    return Look(now=NOW, status=Status.model_validate(status),
                tree=OsdTree.model_validate(tree), dump=OsdDump.model_validate(dump),
                pools=parse_list(Pool, raw_pools, "pools"),
                devices=parse_list(CephDevice, devices or [], "device ls"),
                down_since={o: NOW - timedelta(seconds=held) for o, held in down.items()})


def only(verdicts: list[Any]) -> Any:
    assert len(verdicts) == 1, verdicts
    return verdicts[0]


def test_a_disk_down_within_its_grace_is_watched_and_nobody_is_told() -> None:
    verdict = only(decide(look({0: 120.0}), cluster(), Memory()))
    assert verdict.action is Action.WATCH and not verdict.tell
    assert verdict.reason == "down for 120 s of a 600 s grace"


def test_a_disk_down_past_its_grace_is_proposed_once() -> None:
    first = only(decide(look(), cluster(), Memory()))
    assert first.action is Action.PROPOSE and first.tell
    assert first.failure.kind is FailureKind.FAILED and first.failure.host == "node0"
    again = only(decide(look(), cluster(), Memory(told=frozenset({first.failure.episode}))))
    assert again.action is Action.PROPOSE and not again.tell


def test_an_osd_that_came_back_within_its_grace_starts_nothing() -> None:
    # Down 200 s ago, up again now: a flap, not a failure.
    assert decide(look({}), cluster(FailureAction.AUTO), Memory()) == []


def test_a_later_failure_of_the_same_osd_is_a_new_episode() -> None:
    first = only(decide(look(), cluster(), Memory())).failure.episode
    later = only(decide(look({0: 900.0}), cluster(), Memory(told=frozenset({first}))))
    assert later.failure.episode != first and later.tell


def test_the_auto_policy_starts_a_lone_failure_on_an_otherwise_healthy_cluster() -> None:
    verdict = only(decide(look(), cluster(FailureAction.AUTO), Memory()))
    assert verdict.action is Action.START
    assert verdict.reason == "the policy starts it: 1 of 1 a day"


def test_the_operator_may_ask_for_auto_over_a_proposing_policy() -> None:
    assert only(decide(look(), cluster(), Memory(), auto=True)).action is Action.START


def test_past_the_daily_limit_a_failure_is_proposed_instead() -> None:
    earlier = {"osd.4:failed:2026-12-02T03:00:00+00:00": NOW - timedelta(hours=11)}
    verdict = only(decide(look(), cluster(FailureAction.AUTO), Memory(started=earlier)))
    assert verdict.action is Action.PROPOSE and verdict.tell
    assert verdict.reason.startswith("1 automatic replacement(s) in the last 24 h")
    yesterday = {"osd.4:failed:2026-12-01T03:00:00+00:00": NOW - timedelta(hours=25)}
    assert only(decide(look(), cluster(FailureAction.AUTO),
                       Memory(started=yesterday))).action is Action.START


def test_nothing_starts_by_itself_while_the_cluster_is_unhealthy_for_another_reason() -> None:
    verdict = only(decide(look(inactive=3), cluster(FailureAction.AUTO), Memory()))
    assert verdict.action is Action.WAIT and verdict.tell
    assert "3 of 33 PGs not active" in verdict.reason
    other = {"MON_CLOCK_SKEW": {"severity": "HEALTH_WARN",
                                "summary": {"message": "clock skew detected", "count": 1}}}
    assert only(decide(look(checks=other), cluster(FailureAction.AUTO),
                       Memory())).action is Action.WAIT


def test_two_disks_down_in_two_hosts_of_a_size_two_pool_page_a_person() -> None:
    verdicts = decide(look({0: 700.0, 2: 650.0}), cluster(FailureAction.AUTO), Memory())
    assert [(v.failure.osd, v.action) for v in verdicts] == [(0, Action.PAGE), (2, Action.PAGE)]
    assert verdicts[0].reason == ("disks down in 2 hosts (node0, node1): pool "
                                  "device_health_metrics (size 2, min_size 1) can lose 1")


def test_two_disks_down_that_the_pools_can_lose_are_proposed_for_a_person_to_order() -> None:
    verdicts = decide(look({0: 700.0, 2: 650.0}, pools=((3, 1), (3, 1))),
                      cluster(FailureAction.AUTO), Memory())
    assert {v.action for v in verdicts} == {Action.PROPOSE}
    assert verdicts[0].reason == "2 disks failing at once: an operator decides the order"


def test_every_osd_of_a_host_down_is_the_host_not_a_disk() -> None:
    verdicts = decide(look({0: 700.0, 1: 700.0}, pools=((3, 1), (3, 1))),
                      cluster(FailureAction.AUTO), Memory())
    assert {v.action for v in verdicts} == {Action.PAGE}
    assert verdicts[0].reason == "every OSD of node0 is down: the host, not a disk, has failed"


def test_an_osd_already_in_a_workflow_is_not_proposed_again() -> None:
    busy = Memory(busy_osds={0: "dy-disk.node0-osd0.1234"})
    verdict = only(decide(look(), cluster(FailureAction.AUTO), busy))
    assert verdict.action is Action.SKIP and not verdict.tell
    assert verdict.reason == "in maintenance dy-disk.node0-osd0.1234"


def test_a_host_in_a_maintenance_has_its_down_osds_left_alone() -> None:
    # A host maintenance stops its OSDs on purpose.
    busy = Memory(busy_hosts={"node0": "dy-maintenance.node0.1"})
    verdicts = decide(look({0: 700.0, 1: 700.0}), cluster(FailureAction.AUTO), busy)
    assert [(v.failure.osd, v.action) for v in verdicts] == [(0, Action.SKIP), (1, Action.SKIP)]


def test_a_replacement_the_watch_started_that_ended_is_not_started_again() -> None:
    first = only(decide(look(), cluster(FailureAction.AUTO), Memory())).failure.episode
    verdict = only(decide(look(), cluster(FailureAction.AUTO),
                          Memory(started={first: NOW - timedelta(hours=2)})))
    assert verdict.action is Action.SKIP and "a person decides" in verdict.reason


def test_outside_its_windows_an_automatic_replacement_waits() -> None:
    night = MaintenanceWindow(days=frozenset(Weekday), start=time(22), end=time(5))
    verdict = only(decide(look(), cluster(FailureAction.AUTO, maintenance_windows=(night,)),
                          Memory()))
    assert verdict.action is Action.WAIT and "waiting for window" in verdict.reason
    assert verdict.tell


def failing_device(osd: int, days: float, host: str = "node1") -> dict[str, Any]:
    expected = NOW + timedelta(days=days)
    return {"devid": f"SEAGATE_ST4000NM_ZC1{osd:04d}",
            "location": [{"host": host, "dev": "sdb", "path": "/dev/disk/by-path/x"}],
            "daemons": [f"osd.{osd}"],
            "life_expectancy_min": (expected - timedelta(days=7)).strftime(
                "%Y-%m-%dT%H:%M:%S.%f+0000"),
            "life_expectancy_max": expected.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")}


def test_a_device_predicted_to_fail_within_the_horizon_is_a_failing_disk() -> None:
    state = look({}, devices=[failing_device(2, 20), failing_device(3, 90)])
    failures = find_failures(state, cluster())
    assert [(f.osd, f.kind) for f in failures] == [(2, FailureKind.FAILING)]
    assert failures[0].detail.startswith("device SEAGATE_ST4000NM_ZC10002 of osd.2 expected")
    verdict = only(decide(state, cluster(FailureAction.AUTO), Memory()))
    assert verdict.action is Action.START


def test_the_managers_device_checks_name_failing_osds_too() -> None:
    checks = {"DEVICE_HEALTH": {"severity": "HEALTH_WARN", "summary": {
        "message": "1 device(s) expected to fail soon", "count": 1}, "detail": [{
        "message": "SEAGATE_ST4000NM_ZC10005 (node2:sdc); daemons osd.5; life expectancy "
                   "between 2026-12-20T00:00:00.000000+0000 and 2026-12-27T00:00:00.000000+0000"}]},
        "DEVICE_HEALTH_IN_USE": {"severity": "HEALTH_WARN", "summary": {
            "message": "1 daemon(s) expected to fail soon and still contain data", "count": 1},
            "detail": [{"message": "osd.4 is marked out but still has 12 PG(s)"}]}}
    failures = find_failures(look({}, checks=checks), cluster())
    assert [(f.osd, f.kind) for f in failures] == [(4, FailureKind.FAILING),
                                                   (5, FailureKind.FAILING)]


def test_more_failing_devices_than_ceph_marks_out_page_a_person() -> None:
    too_many = {"DEVICE_HEALTH_TOOMANY": {"severity": "HEALTH_WARN", "summary": {
        "message": "Too many daemons are expected to fail soon", "count": 1}}}
    verdict = only(decide(look({}, checks=too_many, devices=[failing_device(2, 10)]),
                          cluster(FailureAction.AUTO), Memory()))
    assert verdict.action is Action.PAGE and verdict.reason.startswith("DEVICE_HEALTH_TOOMANY")


@pytest.mark.parametrize("value", ["0.000000", "", None])
def test_a_device_without_a_prediction_is_not_failing(value: str | None) -> None:
    device = {**failing_device(2, 1), "life_expectancy_max": value}
    assert find_failures(look({}, devices=[device]), cluster()) == []

