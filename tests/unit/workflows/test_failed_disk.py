"""Failed hardware is not drained: a failed disk is marked out at once, recovered, destroyed
and swapped; a dead host's OSDs are marked out, recovered and purged."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from ceph_tasks.ceph.models import OsdTree, Status
from inventory import (
    Cluster,
    FailingDevices,
    FailurePolicy,
    NotificationTargets,
    TicketTarget,
)
from workflows.admission import check_start, describe_health
from workflows.disks import plan_disk_replacement
from workflows.errors import PlanRefused, StartRefused
from workflows.planning import Kind, plan_maintenance
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
                                          r"\d+ PGs: it has not failed"):
        plan_disk_replacement(5, cluster=cluster, state=healthy, failed=True)


def test_a_dead_host_is_decommissioned_by_recovering_its_osds_not_draining_them(
    cluster: Cluster, healthy: ClusterState
) -> None:
    state = with_osd_down(with_osd_down(healthy, 4), 5)
    plan = plan_maintenance(Kind.DECOMMISSION, "node2", cluster=cluster, state=state,
                            failed=True, reference="dead")
    assert plan.kind == "decommission of a failed host" and plan.failed == (4, 5)
    assert tasks(plan) == [
        "check_healthy_to_start", "check_removal", "set_flags", "pause_movers", "set_downtime",
        "out_failed_osd", "out_failed_osd", "remove_node", "wait_healthy", "restore",
    ]
    outs = [s for s in plan.steps if s.task == "cephmaint.out_failed_osd"]
    assert [s.kwargs["osd_id"] for s in outs] == [4, 5]
    assert outs[0].after == outs[1].after == ("downtime-on-node2",)
    remove = next(s for s in plan.steps if s.task == "cephmaint.remove_node")
    assert set(remove.after) == {s.id for s in outs} and remove.kwargs["mode"] == "purge"
    assert "its devices are not zapped" in plan.render()


def test_a_host_with_an_osd_still_up_and_serving_is_not_decommissioned_as_failed(
    cluster: Cluster, healthy: ClusterState
) -> None:
    with pytest.raises(PlanRefused, match=r"decommission of failed host node2 on cluster lab "
                                          r"refused, nothing changed: osd.5 is up and holds"):
        plan_maintenance(Kind.DECOMMISSION, "node2", cluster=cluster,
                         state=with_osd_down(healthy, 4), failed=True)


def test_a_located_disk_has_its_led_lit_before_the_technicians_are_asked_and_out_after(
    cluster: Cluster, healthy: ClusterState
) -> None:
    policy = FailurePolicy(locate_on=("ledctl", "locate={device}"),
                           locate_off=("ledctl", "locate_off={device}"),
                           failing_devices=FailingDevices.CEPHMAINT)
    located = cluster.model_copy(update={"failures": policy})
    plan = plan_disk_replacement(5, cluster=located, state=with_osd_down(healthy, 5),
                                 reference="f1", failed=True, ticket="OPS-7")
    order = tasks(plan)
    lit, out = order.index("locate_devices"), len(order) - 1 - order[::-1].index(
        "locate_devices")
    assert order.index("remove_node") < lit < order.index("notify_technicians")
    assert order.index("wait_for_technician") < out < order.index("add_node")
    steps = [s for s in plan.steps if s.task == "cephmaint.locate_devices"]
    assert [(s.kwargs["devices"], s.kwargs["on"]) for s in steps] == [
        (["/dev/sdc"], True), (["/dev/sdc"], False)]
    notify = next(s for s in plan.steps if s.task == "cephmaint.notify_technicians")
    assert notify.kwargs["ticket"] == "OPS-7"
    shown = plan.render()
    assert "locate LED lit for the technicians by ledctl locate={device}" in shown
    assert "ticket_stage" not in order  # no ticket system in this inventory
    assert "devicehealth self_heal is off on this cluster" in shown


def test_without_locate_commands_no_led_step_and_no_ticket_argument(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_disk_replacement(5, cluster=cluster, state=with_osd_down(healthy, 5),
                                 reference="f1", failed=True)
    assert "locate_devices" not in tasks(plan)
    notify = next(s for s in plan.steps if s.task == "cephmaint.notify_technicians")
    assert "ticket" not in notify.kwargs


def test_the_ticket_is_commented_at_each_stage_and_closed_once_the_pgs_are_clean(
    cluster: Cluster, healthy: ClusterState
) -> None:
    tracked = cluster.model_copy(update={"notifications": NotificationTargets(
        ticket=TicketTarget(url="https://jira.example.org", project="OPS",
                            token=SecretStr("t")))})
    plan = plan_disk_replacement(5, cluster=tracked, state=with_osd_down(healthy, 5),
                                 reference="f1", failed=True, ticket="OPS-7")
    order = tasks(plan)
    stages = [(s.kwargs["stage"], s.kwargs["close"], s.kwargs.get("ticket"))
              for s in plan.steps if s.task == "cephmaint.ticket_stage"]
    assert stages == [("started", False, "OPS-7"), ("recreated", False, None),
                      ("done", True, None)]
    ticket_steps = [i for i, t in enumerate(order) if t == "ticket_stage"]
    assert ticket_steps[0] == order.index("check_healthy_to_start") + 1
    assert order[ticket_steps[1] - 1] == "add_node"
    assert order[ticket_steps[2] - 1] == "wait_healthy"
    # Without a proposal's ticket, the first stage has no ticket to be said on yet.
    unproposed = plan_disk_replacement(5, cluster=tracked, state=with_osd_down(healthy, 5),
                                       reference="f2", failed=True)
    assert [s.kwargs["stage"] for s in unproposed.steps
            if s.task == "cephmaint.ticket_stage"] == ["recreated", "done"]
