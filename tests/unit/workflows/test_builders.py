"""Builders turn a host and the cluster's state into a runbook, refusing what is unsafe."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ceph_tasks.names import TaskName
from inventory import Cluster, UnknownHostError
from tests.support.rack_lab import rack_cluster, rack_state
from workflows.builders import (
    Timing,
    plan_add,
    plan_decommission,
    plan_replace,
)
from workflows.disks import plan_disk_replacement
from workflows.errors import PlanRefused
from workflows.plan import Phase, setup_to_redo
from workflows.state import ClusterState


def no_problems(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
    return []


def tasks(plan: object) -> list[str]:
    return [s.task.removeprefix("cephmaint.") for s in plan.steps]  # type: ignore[attr-defined]


def test_decommission_drains_before_it_removes_and_restores_at_the_end(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy,
                                       check_domains=no_problems, reference="wf1")
    assert tasks(plan) == [
        "check_healthy_to_start", "check_removal", "set_flags", "pause_movers", "set_downtime",
        "reweight", "wait_healthy", "check_safe_to_destroy", "remove_node", "zap_devices",
        "wait_healthy", "restore",
    ]
    assert plan.osds == (4, 5)
    assert plan.data_to_move_bytes > 0
    drain = plan.steps[5]
    assert drain.kwargs == {"cluster": "lab", "reference": "wf1", "host": "node2",
                            "target": 0.0, "step": "inventory", "timeout": 72 * 3600.0}
    # A chain: each step waits for the one before it.
    pairs = zip(plan.steps, plan.steps[1:], strict=False)
    assert all(s.after == (prev.id,) for prev, s in pairs)
    assert [f.task for f in plan.finalisers] == [
        "cephmaint.reweight", "cephmaint.restore"]
    # One restore puts back everything recorded: at the end and after a failure alike.
    assert plan.steps[-1].kwargs == plan.finalisers[1].kwargs == {
        "cluster": "lab", "reference": "wf1", "kinds": None}
    # A cancel raises the drained OSDs back before anything else is undone; a failure
    # leaves them for a retry to resume.
    assert plan.finalisers[0].phase == Phase.ROLLBACK
    assert "(when cancelled)" in plan.render()
    assert plan.finalisers[0].kwargs == {
        "cluster": "lab", "reference": "wf1", "osd_ids": [4, 5], "target": "original",
        "step": "inventory", "rollback": True}


def test_every_step_carries_json_arguments_only(cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_replace("node2", "node3", cluster=cluster, state=healthy,
                                  check_domains=no_problems, reference="wf1")
    for step in [*plan.steps, *plan.finalisers]:
        assert json.loads(json.dumps(step.kwargs)) == step.kwargs


def test_replace_with_new_hardware_adds_it_after_the_technicians_confirm(
    cluster: Cluster, healthy: ClusterState
) -> None:
    timing = Timing(drain=600, technician=900, technician_interval=5)
    plan = plan_replace("node2", "node3", cluster=cluster, state=healthy,
                                  check_domains=no_problems, reference="wf1", timing=timing)
    names = tasks(plan)
    assert names.index("remove_node") < names.index("notify_technicians")
    assert names.index("wait_for_technician") < names.index("add_node")
    gate = plan.steps[names.index("wait_for_technician")]
    assert (gate.kwargs["timeout"], gate.kwargs["interval"]) == (900, 5)
    raise_weight = plan.steps[names.index("add_node") + 1]
    assert raise_weight.kwargs["host"] == "node3"
    assert raise_weight.kwargs["target"] == "device size"
    assert raise_weight.kwargs["timeout"] == 600
    assert raise_weight.phase == Phase.ADD
    assert plan.hosts == ("node2", "node3")
    # Once everything is put back (scrub flags lifted), the new OSDs' PGs are deep-scrubbed.
    assert names[-2:] == ["restore", "deep_scrub_osds"]
    assert plan.steps[-1].kwargs["host"] == "node3" and plan.steps[-1].phase == Phase.VERIFY
    # The one restore finaliser lifts the downtimes of both hosts (all those recorded).
    assert {h for s in plan.finalisers for h in s.hosts} == {"node2", "node3"}


def test_a_plan_reads_as_a_runbook_and_as_json(cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy,
                                       check_domains=no_problems, reference="wf1")
    text = plan.render()
    assert "decommission on cluster lab (reference wf1)" in text
    assert "drain node2 (osd.4, osd.5) in steps" in text
    assert "if it fails or is cancelled:" in text
    data = json.loads(plan.to_json())
    assert data["osds"] == [4, 5] and len(data["waves"]) == len(plan.steps)


def test_a_domain_problem_refuses_the_plan_naming_it(cluster: Cluster, healthy: ClusterState
                                                     ) -> None:
    def short(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
        return [f"pool data (size 2) would keep 1 host without {', '.join(hosts)}"]

    with pytest.raises(PlanRefused, match=r"pool data \(size 2\) would keep 1 host"):
        plan_decommission("node1", cluster=cluster, state=healthy,
                                    check_domains=short)


def test_an_unknown_host_is_refused_naming_it(cluster: Cluster, healthy: ClusterState) -> None:
    with pytest.raises(UnknownHostError, match="node9"):
        plan_decommission("node9", cluster=cluster, state=healthy,
                                    check_domains=no_problems)


def test_add_creates_osds_at_weight_zero_then_raises_them(cluster: Cluster,
                                                          healthy: ClusterState) -> None:
    plan = plan_add("node3", cluster=cluster, state=healthy, weight=2.0)
    names = tasks(plan)
    assert names[names.index("add_node") + 1] == "reweight"
    assert plan.steps[names.index("add_node") + 1].kwargs["target"] == 2.0


def test_a_disk_replacement_keeps_the_osd_id_and_waits_for_the_new_serial(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_disk_replacement(5, cluster=cluster, state=healthy, reference="d1")
    assert tasks(plan) == [
        "check_healthy_to_start", "set_flags", "pause_movers", "set_downtime", "reweight",
        "wait_healthy", "check_safe_to_destroy", "remove_node", "restore",
        "notify_technicians", "wait_for_technician", "set_flags",
        "pause_movers", "add_node", "reweight", "wait_healthy", "restore", "deep_scrub_osds",
    ]
    by_task = {s.task.removeprefix("cephmaint."): s.kwargs for s in plan.steps}
    assert by_task["remove_node"]["mode"] == "destroy"
    assert by_task["remove_node"]["osd_ids"] == [5]
    assert by_task["wait_for_technician"]["expect_serials"] == 1
    assert by_task["wait_for_technician"]["device_paths"] == ["/dev/sdc"]
    assert by_task["add_node"]["devices"] == ["/dev/sdc"]
    assert plan.steps[14].kwargs["target"] == "original"
    assert "bay 2" in plan.render()


def test_a_host_whose_osds_differ_from_the_inventory_is_refused_at_plan_time(
    cluster: Cluster, healthy: ClusterState
) -> None:
    moved = cluster.model_copy(update={"osds": tuple(o for o in cluster.osds if o.id != 5)})
    with pytest.raises(PlanRefused, match=r"inventory lists OSDs \[4\] on node2 but CRUSH "
                                          r"has \[4, 5\]"):
        plan_decommission("node2", cluster=moved, state=healthy,
                                    check_domains=no_problems)


def pool_lines(plan: object) -> list[str]:
    text = plan.render()  # type: ignore[attr-defined]
    return [line for line in text.splitlines() if line.startswith("  pool ")]


def test_a_decommission_shows_each_pool_its_hosts_before_and_after_and_what_moves(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy, reference="wf1")
    assert [line.split(" to move")[0].rsplit(", ~", 1)[0] for line in pool_lines(plan)] == [
        "  pool data (rule replicated_rule, size 2): hosts 3 -> 2: ok; 22 PGs",
        "  pool device_health_metrics (rule replicated_rule, size 2): hosts 3 -> 2: ok; 1 PG",
    ]
    pools = json.loads(plan.to_json())["pools"]
    assert [(p["pool"], p["levels"][0]["before"], p["levels"][0]["after"], p["pgs_to_move"])
            for p in pools] == [("data", 3, 2, 22), ("device_health_metrics", 3, 2, 1)]
    assert sum(p["bytes_to_move"] for p in pools) == plan.data_to_move_bytes


def test_a_decommission_on_racks_names_the_pools_the_host_holds_data_of() -> None:
    plan = plan_decommission("d1", cluster=rack_cluster(), state=rack_state(), reference="r")
    assert pool_lines(plan) == [
        "  pool ec (rule ec_hdd, erasure-coded, k+m 4): hosts 5 -> 4: ok; "
        "3 PGs, ~2.2 MiB to move",
        "  pool rbd (rule rbd_rack, size 3): racks 4 -> 3: ok; 6 PGs, ~4.5 MiB to move",
    ]
    assert "  guard: every pool keeps enough racks without d1" in plan.render()


def test_a_replace_shows_the_pools_while_the_host_is_away() -> None:
    plan = plan_replace("a2", cluster=rack_cluster(), state=rack_state(), reference="r")
    # a1 keeps rack r1 for rbd while a2 is away; the ec pool loses one of its five hosts.
    assert pool_lines(plan) == [
        "  pool ec (rule ec_hdd, erasure-coded, k+m 4): hosts 5 -> 4: ok; "
        "3 PGs, ~1.9 MiB to move",
        "  pool rbd (rule rbd_rack, size 3): racks 4 -> 4: ok; 3 PGs, ~1.9 MiB to move",
    ]


def test_a_host_holding_the_last_ssd_osds_a_pool_needs_is_refused_naming_pool_rule_and_rest(
) -> None:
    with pytest.raises(PlanRefused) as refused:
        plan_decommission("c1", cluster=rack_cluster(), state=rack_state())
    assert str(refused.value) == (
        "decommission of c1 on cluster racks refused, nothing changed: pool fast (size 3) "
        "needs 3 host failure domains under root default~ssd by CRUSH rule fast_ssd, but only "
        "2 host would be left (a1, b1)")


def test_a_disk_whose_drain_would_leave_a_pool_short_is_refused() -> None:
    with pytest.raises(PlanRefused, match=r"disk replacement of osd\.6 .* pool fast \(size 3\) "
                                          r"needs 3 host .* rule fast_ssd, but only 2 host "
                                          r"would be left \(a1, b1\)"):
        plan_disk_replacement(6, cluster=rack_cluster(), state=rack_state())
    plan = plan_disk_replacement(0, cluster=rack_cluster(), state=rack_state(), reference="d")
    # osd.0 is a1's only hdd OSD: the hdd pools lose a1, rbd keeps rack r1 through a2.
    assert [line.split(";")[0] for line in pool_lines(plan)] == [
        "  pool ec (rule ec_hdd, erasure-coded, k+m 4): hosts 5 -> 4: ok",
        "  pool rbd (rule rbd_rack, size 3): racks 4 -> 4: ok",
    ]


def test_a_disk_already_out_is_replaced_though_its_pool_is_short_without_it() -> None:
    state = rack_state()
    out = state.tree.model_copy(update={"nodes": tuple(
        n.model_copy(update={"reweight": 0.0}) if n.id == 6 else n for n in state.tree.nodes)})
    plan = plan_disk_replacement(6, cluster=rack_cluster(), state=replace(state, tree=out),
                                 reference="d")
    # The pool lost the disk already; the new one is what brings its third host back.
    assert [line.split(";")[0] for line in pool_lines(plan)] == [
        "  pool fast (rule fast_ssd, size 3): hosts 2 -> 2: short of 1 (needs 3)"]


def test_an_addition_shows_the_pools_that_can_place_data_on_the_new_host(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_add("node3", cluster=cluster, state=healthy, reference="a")
    assert pool_lines(plan) == [
        "  pool data (rule replicated_rule, size 2): hosts 3 -> 4: ok",
        "  pool device_health_metrics (rule replicated_rule, size 2): hosts 3 -> 4: ok",
    ]
    assert plan.notes == ("new OSDs of node3 expected under CRUSH bucket default",
                          "new OSDs of node3 weighted by their device size: 1, 1, 1 (TiB)",
                          "steps: raising the weights in steps moved no more than pinning "
                          "and releasing on the sandbox (--strategy move-once does that "
                          "instead)")


def test_every_technician_gate_looks_as_often_as_the_plans_timing_says(
        cluster: Cluster, healthy: ClusterState) -> None:
    timing = Timing(technician_interval=7.0)
    plans = [plan_disk_replacement(5, cluster=cluster, state=healthy, timing=timing),
             plan_replace("node2", cluster=cluster, state=healthy, check_domains=no_problems,
                          timing=timing)]
    gates = [s for plan in plans for s in plan.steps if s.task == TaskName.WAIT_FOR_TECHNICIAN]
    assert len(gates) == 2 and {g.kwargs["interval"] for g in gates} == {7.0}


@pytest.mark.parametrize("kind", ["replace in place", "replace onto new", "disk"])
def test_no_cluster_wide_flag_or_paused_mover_is_held_while_technicians_work(
        cluster: Cluster, healthy: ClusterState, kind: str) -> None:
    plan = (plan_disk_replacement(5, cluster=cluster, state=healthy) if kind == "disk" else
            plan_replace("node2", "node2" if kind == "replace in place" else "node3",
                         cluster=cluster, state=healthy, check_domains=no_problems))
    held: set[str] = set()
    seen = {"move": False, "wait": False}
    for step in plan.steps:
        name = step.task.removeprefix("cephmaint.")
        if name == "set_flags":
            assert step.kwargs["pools"], f"{step.id} sets flags cluster-wide"
            held |= set(step.kwargs["flags"])
        elif name == "pause_movers":
            held.add("movers")
        elif name == "restore":
            kinds = step.kwargs["kinds"] or ["flags", "movers"]
            held -= ({"noscrub", "nodeep-scrub"} if "flags" in kinds else set())
            held -= ({"movers"} if "movers" in kinds else set())
        elif name == "wait_for_technician":
            seen["wait"] = True
            assert held == set(), f"{step.id} waits with {held} set"
        elif name == "reweight":
            seen["move"] = True
            assert held == {"noscrub", "nodeep-scrub", "movers"}, f"{step.id} moves unguarded"
    assert seen == {"move": True, "wait": True} and held == set()


def test_a_retry_after_the_flags_were_lifted_for_technicians_does_not_set_them_again(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_replace("node2", "node2", cluster=cluster, state=healthy,
                        check_domains=no_problems)
    steps = plan.to_dict()["steps"]
    order = [s["id"] for s in steps]
    # Failed while waiting for the technicians: everything before the wait succeeded.
    done = set(order[:order.index("confirm-node2")])
    redo = [s["id"] for s in setup_to_redo(steps, done.__contains__)]
    assert redo == ["downtime-on-node2"]
    # Failed during the drain: flags and downtime come back.
    done = set(order[:order.index("reweight-node2")])
    assert [s["id"] for s in setup_to_redo(steps, done.__contains__)] == [
        "flags-on", "movers-off", "downtime-on-node2"]


def test_scrubs_are_paused_only_on_the_pools_whose_data_moves(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_decommission("node2", cluster=cluster, state=healthy, check_domains=no_problems)
    [flags_on] = [s for s in plan.steps if s.task == TaskName.SET_FLAGS]
    moving = [p.pool for p in plan.pools if p.pgs_to_move]
    assert moving and flags_on.kwargs["pools"] == moving
    assert flags_on.kwargs["flags"] == ["noscrub", "nodeep-scrub"]
    assert "hosts" not in flags_on.kwargs
    assert f"set noscrub,nodeep-scrub on pool(s) {', '.join(moving)}" in plan.render()
