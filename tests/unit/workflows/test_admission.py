"""What `run` refuses before writing anything: an unhealthy cluster, a closed window (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from ceph_tasks.ceph.models import Status
from inventory import Cluster, MaintenanceWindow, Weekday
from tests.support.lab import healthy_state
from workflows.admission import check_start, describe_health, describe_window
from workflows.builders import plan_decommission
from workflows.errors import StartRefused
from workflows.state import ClusterState

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
MONDAY_NOON = datetime(2026, 11, 30, 12, tzinfo=UTC)
NIGHTS = MaintenanceWindow(days=frozenset({Weekday.MON}), start=time(22), end=time(23),
                           timezone="Europe/Paris")


def with_windows(cluster: Cluster) -> Cluster:
    return cluster.model_copy(update={"maintenance_windows": (NIGHTS,)})


def test_a_healthy_cluster_without_windows_may_start(cluster: Cluster,
                                                     healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy)
    assert check_start(plan, cluster, healthy, MONDAY_NOON).open
    assert describe_window(plan, cluster, MONDAY_NOON) == (
        "window: none set, data may move at any time")


def test_an_unhealthy_cluster_is_refused_with_what_is_wrong(cluster: Cluster,
                                                            healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy)
    status = Status.model_validate(json.loads((FIXTURES / "osd_down" / "status.json")
                                              .read_text()))
    down = ClusterState(status=status, tree=healthy.tree, df=healthy.df, pools=healthy.pools,
                        rules=healthy.rules, pgs=healthy.pgs)
    with pytest.raises(StartRefused, match=r"cluster lab: decommission not started, nothing "
                                           r"written: the cluster is not healthy: "):
        check_start(plan, cluster, down, MONDAY_NOON)


def test_outside_the_window_a_start_is_refused_unless_queued_or_overridden(
        cluster: Cluster, healthy: ClusterState) -> None:
    windowed = with_windows(cluster)
    plan = plan_decommission("node2", cluster=windowed, state=healthy)
    with pytest.raises(StartRefused, match=r"outside the maintenance windows \(mon 22:00-23:00 "
                                           r"Europe/Paris\), waiting for window: opens Mon "
                                           r"22:00 Europe/Paris: run with --queue"):
        check_start(plan, windowed, healthy, MONDAY_NOON)
    assert not check_start(plan, windowed, healthy, MONDAY_NOON, wait_for_window=True).open
    assert check_start(plan, windowed, healthy, MONDAY_NOON,
                       override={"reason": "disk dying"}).open
    inside = MONDAY_NOON + timedelta(hours=9, minutes=30)
    assert check_start(plan, windowed, healthy, inside).open
    assert describe_window(plan, windowed, inside) == (
        "window: mon 22:00-23:00 Europe/Paris: open now")


def test_a_datacenter_window_for_a_datacenter_with_no_host_is_refused(cluster: Cluster) -> None:
    data = cluster.model_dump()
    data["datacenter_windows"] = {"DC9": [NIGHTS.model_dump()]}
    with pytest.raises(ValidationError, match="no host of cluster lab is in datacenter 'DC9' "
                                             r"\(datacenters: DC1\)"):
        Cluster.model_validate(data)


def test_the_plan_lists_the_checks_raised_and_which_would_block(cluster: Cluster) -> None:
    base = healthy_state()
    flagged = Status.model_validate(json.loads((FIXTURES / "flags_set" / "status.json")
                                               .read_text()))
    state = ClusterState(status=flagged, tree=base.tree, df=base.df, pools=base.pools,
                         rules=base.rules, pgs=base.pgs)
    allowing = cluster.model_copy(update={"health_allowlist": ("OSD_FLAGS",)})
    assert describe_health(state, allowing) == [
        "health: OSDMAP_FLAGS (noscrub,nodeep-scrub flag(s) set): does not block (present "
        "before the maintenance and no worse; blocks if it gets worse)",
        "health: OSD_FLAGS (1 OSDs or CRUSH {nodes, device-classes} have "
        "{NOUP,NODOWN,NOIN,NOOUT} flags set): does not block (allowed by the inventory)",
    ]
    assert describe_health(base, cluster) == ["health: HEALTH_OK, no checks raised"]
