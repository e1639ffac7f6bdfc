"""Retiring a host that runs monitors, managers or MDS: listed, guarded, handed over first."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ceph_tasks.ceph.models.service_daemons import Daemons
from ceph_tasks.names import TaskName
from inventory import Cluster, CommandsControl
from tests.support.service_daemons import daemon_answers
from workflows.builders import plan_decommission, plan_replace
from workflows.errors import PlanRefused
from workflows.state import ClusterState


def with_daemons(state: ClusterState) -> ClusterState:
    """Three monitors; managers node1 (active) and node0; MDS node1 (active) and node2."""
    a = daemon_answers(mons=("node0", "node1", "node2"), mgrs=("node1", "node0"),
                       mds=("node1", "node2"))
    return replace(state, daemons=Daemons.from_answers(a["quorum_status"], a["mgr dump"],
                                                       a["fs dump"], {}))


def osd_commands_only(cluster: Cluster, host: str) -> Cluster:
    """The cluster with host's daemons controlled by templates for OSDs only."""
    control = CommandsControl(start_osd=("ctl", "start", "{osd_id}"),
                              stop_osd=("ctl", "stop", "{osd_id}"),
                              create_osd=("ctl", "create", "{device}"))
    hosts = tuple(h.model_copy(update={"daemon_control": control}) if h.name == host else h
                  for h in cluster.hosts)
    return cluster.model_copy(update={"hosts": hosts})


def tasks(plan: object) -> list[str]:
    return [s.task.removeprefix("cephmaint.") for s in plan.steps]  # type: ignore[attr-defined]


def test_the_only_monitor_and_manager_keep_their_host_from_being_retired(
    cluster: Cluster, healthy: ClusterState
) -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_decommission("node0", cluster=cluster, state=healthy)
    assert "removing mon.node0 leaves 0 monitor(s) (none), fewer than the inventory's " \
        "min_monitors 3 (quorum now: node0)" in str(refused.value)
    assert "the active manager mgr.node0 runs there and no standby" in str(refused.value)


def test_a_monitors_host_is_retired_only_where_the_inventory_allows_fewer_monitors(
    cluster: Cluster, healthy: ClusterState
) -> None:
    state = with_daemons(healthy)
    with pytest.raises(PlanRefused, match=r"removing mon.node1 leaves 2 monitor\(s\) "
                                          r"\(node0, node2\), fewer than the inventory's "
                                          r"min_monitors 3 \(quorum now: node0, node1, node2\)"):
        plan_decommission("node1", cluster=cluster, state=state)
    allowing = cluster.model_copy(update={"min_monitors": 2})
    plan = plan_decommission("node1", cluster=allowing, state=state, reference="d")
    names = tasks(plan)
    assert names.index("hand_over_daemons") == names.index("remove_node") - 1
    assert names.index("check_safe_to_destroy") < names.index("hand_over_daemons")
    assert "daemons on node1: mon.node1 (in quorum), mgr.node1 (active), mds.node1 " \
        "(up:active, cephfs), osd.2, osd.3" in plan.notes


def test_a_host_without_monitor_manager_or_mds_has_no_handover_step(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy)
    assert "hand_over_daemons" not in tasks(plan)
    assert "daemons on node2: osd.4, osd.5" in plan.notes


def test_a_replacement_brings_the_monitor_up_on_the_new_host_before_the_old_one_leaves(
    cluster: Cluster, healthy: ClusterState
) -> None:
    # With three monitors and min_monitors 3: 3 -> 4 -> 3, never 2.
    plan = plan_replace("node1", "node3", cluster=cluster, state=with_daemons(healthy))
    names = tasks(plan)
    [arrival] = [s for s in plan.steps if s.task == TaskName.ADD_DAEMONS]
    assert arrival.kwargs["host"] == "node3"
    assert arrival.kwargs["kinds"] == ["mon", "mgr", "mds"]
    assert arrival.kwargs["fs"] == "cephfs"
    assert names.index("add_daemons") < names.index("reweight") < \
        names.index("hand_over_daemons")
    [handover] = [s for s in plan.steps if s.task == TaskName.HAND_OVER_DAEMONS]
    assert handover.kwargs["stop_left"] is True
    downtimes = [s.kwargs["host"] for s in plan.steps if s.task == TaskName.SET_DOWNTIME]
    assert downtimes == ["node3", "node1"]


def test_replacing_a_monitors_hardware_in_place_needs_the_inventory_to_allow_one_fewer(
    cluster: Cluster, healthy: ClusterState
) -> None:
    state = with_daemons(healthy)
    with pytest.raises(PlanRefused, match=r"removing mon.node1 leaves 2 monitor\(s\)"):
        plan_replace("node1", cluster=cluster, state=state)
    allowing = cluster.model_copy(update={"min_monitors": 2})
    plan = plan_replace("node1", cluster=allowing, state=state)
    names = tasks(plan)
    # The same daemons come back on the new hardware before its OSDs take data.
    assert names.index("hand_over_daemons") < names.index("wait_for_technician") < \
        names.index("add_daemons") < names.index("add_node")


def test_a_new_host_whose_daemon_control_cannot_add_a_monitor_is_refused(
    cluster: Cluster, healthy: ClusterState
) -> None:
    bare = osd_commands_only(cluster, "node3")
    with pytest.raises(PlanRefused, match=r"mon.node1 runs on node1 and the replacement must "
                                          r"bring one up on node3, but: host node3 has no "
                                          r"add_daemon command template"):
        plan_replace("node1", "node3", cluster=bare, state=with_daemons(healthy))


def test_a_retired_hosts_standbys_are_left_running_where_its_control_cannot_stop_them(
    cluster: Cluster, healthy: ClusterState
) -> None:
    bare = osd_commands_only(cluster, "node1").model_copy(update={"min_monitors": 2})
    plan = plan_decommission("node1", cluster=bare, state=with_daemons(healthy))
    [handover] = [s for s in plan.steps if s.task == TaskName.HAND_OVER_DAEMONS]
    assert handover.kwargs["stop_left"] is False
    assert any("are not stopped: its daemon control has no remove_daemon" in n
               for n in plan.notes)
