"""A failed disk is replaced without a drain: out at once, recovered, destroyed, swapped."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ceph_tasks.ceph.models import OsdTree, Status
from inventory import Cluster
from workflows.admission import check_start, describe_health
from workflows.disks import plan_disk_replacement
from workflows.errors import PlanRefused, StartRefused
from workflows.state import ClusterState

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


def with_osd_down(state: ClusterState, osd: int) -> ClusterState:
    """The state with one OSD reported down and the cluster degraded, as after a disk died."""
    tree = state.tree.model_dump()
    for node in tree["nodes"]:
        if node["id"] == osd:
            node["status"] = "down"
    down = Status.model_validate(json.loads((FIXTURES / "osd_down" / "status.json").read_text()))
    return replace(state, tree=OsdTree.model_validate(tree), status=down)


def tasks(plan: object) -> list[str]:
    return [s.task.removeprefix("cephmaint.") for s in plan.steps]  # type: ignore[attr-defined]


def test_a_failed_disk_is_marked_out_and_recovered_not_drained(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_disk_replacement(5, cluster=cluster, state=with_osd_down(healthy, 5),
                                 reference="f1", failed=True)
    assert plan.kind == "failed disk replacement" and plan.failed == (5,)
    assert tasks(plan) == [
        "check_healthy_to_start", "set_flags", "pause_movers", "set_downtime",
        "out_failed_osd", "remove_node", "restore", "notify_technicians",
        "wait_for_technician", "set_flags", "pause_movers", "add_node", "reweight",
        "wait_healthy", "restore", "deep_scrub_osds",
    ]
    by_task = {s.task.removeprefix("cephmaint."): s.kwargs for s in plan.steps}
    assert by_task["check_healthy_to_start"]["failed_osds"] == [5]
    assert by_task["out_failed_osd"]["osd_id"] == 5
    assert by_task["remove_node"] == {**by_task["remove_node"], "mode": "destroy",
                                      "osd_ids": [5]}
    assert by_task["wait_for_technician"]["expect_serials"] == 1
    assert by_task["reweight"]["target"] == "original"
    assert plan.data_to_move_bytes == 0
    assert "OSDs:  osd.5 (failed: osd.5)" in plan.render()


def test_a_failed_disk_replacement_starts_on_the_degraded_cluster_its_failure_left(
    cluster: Cluster, healthy: ClusterState
) -> None:
    state = with_osd_down(healthy, 5)
    failed = plan_disk_replacement(5, cluster=cluster, state=state, failed=True)
    assert check_start(failed, cluster, state, NOON).open
    assert describe_health(state, cluster, failed=1) == [
        "health: OSD_DOWN (1 osds down): does not block (the failed OSD's own, repaired here)",
        "health: PG_DEGRADED (Degraded data redundancy: 112/800 objects degraded (14.000%), "
        "10 pgs degraded): does not block (the failed OSD's own, repaired here)",
    ]
    drained = plan_disk_replacement(4, cluster=cluster, state=state)
    with pytest.raises(StartRefused, match="the cluster is not healthy: OSD_DOWN"):
        check_start(drained, cluster, state, NOON)


def test_failed_on_an_osd_that_is_up_and_holds_pgs_is_refused_at_plan_time(
    cluster: Cluster, healthy: ClusterState
) -> None:
    with pytest.raises(PlanRefused, match=r"failed disk replacement of osd.5 on cluster lab "
                                          r"refused, nothing changed: osd.5 is up and holds "
                                          r"\d+ PGs: its disk has not failed"):
        plan_disk_replacement(5, cluster=cluster, state=healthy, failed=True)
