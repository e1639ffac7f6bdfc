"""Moving each copy once (a replace, a decommission, an addition): when it is chosen, and
the runbook it makes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ceph_tasks.decisions.upmaps import UpmapReadiness
from ceph_tasks.names import INVENTORY_STEP
from inventory import Cluster
from tests.support.rack_lab import rack_cluster, rack_state
from tests.unit.workflows.test_builders import no_problems, tasks
from workflows.builders import plan_add, plan_decommission, plan_replace
from workflows.errors import PlanRefused
from workflows.move_once import Strategy
from workflows.plan import MaintenancePlan, Phase
from workflows.state import ClusterState

READY = UpmapReadiness("luminous", ("luminous",))


def ready(state: ClusterState) -> ClusterState:
    return replace(state, upmap_readiness=READY)


def how(plan: MaintenancePlan) -> str:
    """The plan's note on how the data moves."""
    return next(n for n in plan.notes if n.startswith(("move-once", "drain-fill", "steps")))


def test_a_replace_onto_new_hardware_moves_each_copy_once_where_upmaps_are_allowed(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_replace("node2", "node3", cluster=cluster, state=ready(healthy),
                        check_domains=no_problems, reference="wf1")
    names = tasks(plan)
    assert how(plan).startswith("move-once: each copy of node2 goes straight to node3")
    # The technicians make the new host ready before any data moves to it.
    assert names.index("wait_for_technician") < names.index("add_node")
    move = names[names.index("add_node") + 1:names.index("wait_healthy")]
    assert move == ["set_flags", "reweight", "pin_placement", "check_removal", "move_off",
                    "set_flags", "reweight", "pin_placement"]
    steps = plan.steps[names.index("add_node") + 1:names.index("wait_healthy")]
    assert steps[0].kwargs["flags"] == ["norebalance"]
    raised, emptied = steps[1], steps[6]
    assert (raised.kwargs["host"], raised.kwargs["target"], raised.kwargs["step"]) == (
        "node3", "device size", None)
    assert (emptied.kwargs["host"], emptied.kwargs["target"], emptied.kwargs["step"]) == (
        "node2", 0.0, None)
    # The failure domains are checked on the live map once the new host is in it.
    assert steps[3].kwargs["hosts"] == ["node2"]
    assert (steps[4].kwargs["host"], steps[4].kwargs["to_host"]) == ("node2", "node3")
    assert raised.phase == Phase.ADD and steps[4].phase == Phase.MOVE
    # Then the old host goes as after a drain: only once Ceph says its OSDs hold nothing.
    after = names[names.index("wait_healthy"):]
    assert after[:3] == ["wait_healthy", "check_safe_to_destroy", "remove_node"]
    assert names[-2:] == ["restore", "deep_scrub_osds"]
    assert "reweight" not in names[:names.index("add_node")]  # no drain first


def test_a_replace_in_place_drains_and_says_why(cluster: Cluster,
                                                healthy: ClusterState) -> None:
    plan = plan_replace("node2", cluster=cluster, state=ready(healthy),
                        check_domains=no_problems)
    assert how(plan).startswith("drain-fill: move-once is not possible")
    assert "takes node2's place" in how(plan)
    assert "move_off" not in tasks(plan)


def test_clients_not_checked_or_too_old_mean_drain_fill(cluster: Cluster,
                                                        healthy: ClusterState) -> None:
    unread = plan_replace("node2", "node3", cluster=cluster, state=healthy,
                          check_domains=no_problems)
    assert "not checked for upmap support" in how(unread)
    jewel = replace(healthy, upmap_readiness=UpmapReadiness("jewel", ("jewel",)))
    old = plan_replace("node2", "node3", cluster=cluster, state=jewel,
                       check_domains=no_problems)
    assert "require_min_compat_client is jewel" in how(old)
    assert "move_off" not in tasks(old) and "move_off" not in tasks(unread)


def test_move_once_asked_for_where_it_cannot_be_is_refused_naming_why(
        cluster: Cluster, healthy: ClusterState) -> None:
    jewel = replace(healthy, upmap_readiness=UpmapReadiness("luminous", ("hammer",)))
    with pytest.raises(PlanRefused, match="move-once is not possible: clients older"):
        plan_replace("node2", "node3", cluster=cluster, state=jewel,
                     check_domains=no_problems, strategy=Strategy.MOVE_ONCE)


def test_drain_fill_asked_for_is_kept(cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_replace("node2", "node3", cluster=cluster, state=ready(healthy),
                        check_domains=no_problems, strategy=Strategy.DRAIN_FILL)
    names = tasks(plan)
    assert "move_off" not in names
    assert names.index("remove_node") < names.index("add_node")


def test_an_addition_asked_to_move_once_takes_its_weight_at_once_then_releases_the_pins(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_add("node3", cluster=cluster, state=ready(healthy), reference="a",
                    strategy=Strategy.MOVE_ONCE)
    names = tasks(plan)
    assert how(plan).startswith("move-once: node3's OSDs take their weight at once")
    start = names.index("add_node")
    assert names[start:start + 6] == ["add_node", "set_flags", "reweight", "pin_placement",
                                      "release_pins", "wait_healthy"]
    raised = plan.steps[start + 2]
    assert (raised.kwargs["host"], raised.kwargs["step"]) == ("node3", None)
    assert plan.steps[start + 4].kwargs["host"] == "node3"


def test_an_addition_raises_its_weights_in_steps_unless_asked_to_move_once(
        cluster: Cluster, healthy: ClusterState) -> None:
    asked = plan_add("node3", cluster=cluster, state=ready(healthy),
                     strategy=Strategy.DRAIN_FILL)
    assert how(asked) == "steps (asked for): the weights move in steps"
    default = plan_add("node3", cluster=cluster, state=ready(healthy))
    assert how(default).startswith("steps: raising the weights in steps moved no more")
    assert "release_pins" not in tasks(asked) + tasks(default)


def test_a_decommission_moves_each_copy_once_to_the_other_hosts_then_empties_the_weights(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=ready(healthy),
                             check_domains=no_problems, reference="d")
    names = tasks(plan)
    assert how(plan).startswith("move-once: each copy of node2 goes straight to the least "
                                "loaded OSD of another host")
    start = names.index("move_off")
    assert names[start:start + 4] == ["move_off", "set_flags", "reweight", "pin_placement"]
    assert names[start + 4:start + 7] == ["wait_healthy", "check_safe_to_destroy",
                                          "remove_node"]
    move, emptied = plan.steps[start], plan.steps[start + 2]
    assert (move.kwargs["host"], move.kwargs["to_host"], move.hosts) == ("node2", None,
                                                                         ("node2",))
    assert (emptied.kwargs["host"], emptied.kwargs["target"], emptied.kwargs["step"]) == (
        "node2", 0.0, None)
    # Guards and the balancer paused before anything moves; the downtime set first.
    assert names.index("check_removal") < names.index("pause_movers") < start
    assert names[start - 1] == "set_downtime"


def test_a_decommission_drains_in_steps_when_asked_or_when_upmaps_are_not_allowed(
        cluster: Cluster, healthy: ClusterState) -> None:
    asked = plan_decommission("node2", cluster=cluster, state=ready(healthy),
                              check_domains=no_problems, strategy=Strategy.DRAIN_FILL)
    assert how(asked) == "steps (asked for): the weights move in steps"
    unread = plan_decommission("node2", cluster=cluster, state=healthy,
                               check_domains=no_problems)
    assert how(unread).startswith("steps: move-once is not possible")
    for plan in (asked, unread):
        assert "move_off" not in tasks(plan)
        drain = plan.steps[tasks(plan).index("reweight")]
        assert (drain.kwargs["target"], drain.kwargs["step"]) == (0.0, INVENTORY_STEP)
    with pytest.raises(PlanRefused, match=r"decommission of node2 .* move-once is not possible"):
        plan_decommission("node2", cluster=cluster, state=healthy, check_domains=no_problems,
                          strategy=Strategy.MOVE_ONCE)


def test_a_host_alone_in_its_rack_is_replaced_by_one_of_the_same_rack_moving_once() -> None:
    # rbd keeps a copy in each of the four racks: d1, alone in r4, cannot simply go.
    state = ready(rack_state())
    state = replace(state, pools=tuple(p.model_copy(update={"size": 4})
                                       if p.pool_name == "rbd" else p for p in state.pools))
    cluster = rack_cluster()
    d1 = cluster.host("d1")
    spare = d1.model_copy(update={"name": "d2", "ssh": d1.ssh.model_copy(
        update={"address": "127.0.9.99"})})
    cluster = cluster.model_copy(update={"hosts": (*cluster.hosts, spare)})
    with pytest.raises(PlanRefused, match="only 3 rack would be left"):
        plan_replace("d1", "d2", cluster=cluster, state=state,
                     strategy=Strategy.DRAIN_FILL)
    plan = plan_replace("d1", "d2", cluster=cluster, state=state)
    assert "move_off" in tasks(plan)
