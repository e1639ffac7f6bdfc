"""A host's work without a drain: the runbook holds its data in place, refusals name why."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ceph_tasks.ceph.models import OkToStop
from inventory import Cluster, UnknownHostError
from tests.support.rack_lab import rack_cluster, rack_state
from workflows.errors import PlanRefused
from workflows.host_work import (
    Work,
    down_batches,
    plan_host_maintenance,
    plan_rolling_maintenance,
)
from workflows.plan import Phase, setup_to_redo
from workflows.state import ClusterState

UNSAFE = Path(__file__).resolve().parents[2] / "fixtures/ceph/healthy/osd_ok_to_stop_unsafe.json"


def tasks(plan: object) -> list[str]:
    return [s.task.removeprefix("cephmaint.") for s in plan.steps]  # type: ignore[attr-defined]


def test_a_reboot_stops_the_hosts_osds_under_its_own_noout_and_moves_no_data(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_host_maintenance("node1", cluster=cluster, state=healthy, reason="kernel",
                                 work=Work.REBOOT, reference="wf1")
    assert tasks(plan) == ["check_healthy_to_start", "check_ok_to_stop", "set_downtime",
                           "set_flags", "stop_host_daemons", "run_on_host", "restore",
                           "wait_host_back", "restore"]
    assert plan.data_to_move_bytes == 0 and plan.pools == ()
    by_task = {s.task.removeprefix("cephmaint."): s for s in plan.steps}
    assert by_task["check_ok_to_stop"].kwargs["osd_ids"] == [2, 3]
    # The host's noout, never the cluster-wide flag.
    assert by_task["set_flags"].kwargs["flags"] == ["noout"]
    assert by_task["set_flags"].kwargs["hosts"] == ["node1"]
    assert by_task["run_on_host"].kwargs["reboot"] is True
    assert f"down longer than {cluster.max_down_seconds:g} s" in plan.render()
    # The daemons start first; the noout goes with the last restore, once the host is back.
    first, last = (s for s in plan.steps if s.task.endswith("restore"))
    assert first.kwargs["kinds"] == ["daemons"]
    assert last.kwargs["kinds"] is None and last.after == (plan.steps[-2].id,)
    assert [f.task.removeprefix("cephmaint.") for f in plan.finalisers] == ["restore"]
    assert "reason: kernel" in plan.render()


def test_a_command_runs_as_argv_words_and_technicians_are_asked_and_waited_for(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_host_maintenance("node1", cluster=cluster, state=healthy, reason="firmware",
                                 work=Work.COMMAND, command=["fwupdmgr", "update", "-y"])
    work = next(s for s in plan.steps if s.task.endswith("run_on_host"))
    assert work.kwargs["command"] == ["fwupdmgr", "update", "-y"]
    assert "reboot" not in work.kwargs
    hands = plan_host_maintenance("node1", cluster=cluster, state=healthy, reason="a DIMM",
                                  work=Work.TECHNICIAN)
    assert "notify_technicians" in tasks(hands) and "wait_for_technician" in tasks(hands)
    assert "run_on_host" not in tasks(hands)


def test_ceph_refusing_ok_to_stop_refuses_the_plan_naming_the_pgs(
        cluster: Cluster, healthy: ClusterState) -> None:
    answer = OkToStop.model_validate(json.loads(UNSAFE.read_text()))
    with pytest.raises(PlanRefused, match=r"refused, nothing changed: .*PGs would become "
                                          r"inactive: .*2\.0"):
        plan_host_maintenance("node1", cluster=cluster, state=replace(healthy, ok_to_stop=answer),
                              reason="kernel", work=Work.REBOOT)


def test_bad_input_is_refused_by_name(cluster: Cluster, healthy: ClusterState) -> None:
    with pytest.raises(PlanRefused, match="--command"):
        plan_host_maintenance("node1", cluster=cluster, state=healthy, reason="x",
                              work=Work.REBOOT, command=["true"])
    with pytest.raises(PlanRefused, match="--command"):
        plan_host_maintenance("node1", cluster=cluster, state=healthy, reason="x",
                              work=Work.COMMAND)
    with pytest.raises(PlanRefused, match="--reason"):
        plan_host_maintenance("node1", cluster=cluster, state=healthy, reason=" ",
                              work=Work.REBOOT)
    with pytest.raises(UnknownHostError, match="node9"):
        plan_host_maintenance("node9", cluster=cluster, state=healthy, reason="x",
                              work=Work.REBOOT)
    # node3 is in the inventory but holds no OSD in CRUSH: nothing to stop.
    with pytest.raises(PlanRefused, match="no OSD sits under the host bucket node3"):
        plan_host_maintenance("node3", cluster=cluster, state=healthy, reason="x",
                              work=Work.REBOOT)


def test_a_retry_after_the_restore_sets_the_noout_again_but_never_stops_daemons_twice(
        cluster: Cluster, healthy: ClusterState) -> None:
    plan = plan_host_maintenance("node1", cluster=cluster, state=healthy, reason="kernel",
                                 work=Work.REBOOT).to_dict()
    failed_at = "back-node1"
    done = {s["id"] for s in plan["steps"]}
    done -= {failed_at, plan["steps"][-1]["id"]}
    redo = [s["id"] for s in setup_to_redo(plan["steps"], lambda i: i in done)]
    assert redo == ["downtime-on-node1", "noout-node1"]
    assert all(s["phase"] != str(Phase.PREPARE) for s in plan["steps"]
               if s["task"].endswith("stop_host_daemons"))


def test_a_rolling_maintenance_takes_one_failure_domain_at_a_time_each_back_before_the_next(
        cluster: Cluster, healthy: ClusterState) -> None:
    # The pools are size 2, min_size 1: one host (the failure domain) down at a time.
    plan = plan_rolling_maintenance(["node0", "node1", "node2"], cluster=cluster,
                                    state=healthy, reason="kernel", work=Work.REBOOT)
    assert [n for n in plan.notes if n.startswith("batch")] == [
        "batch 1: node0", "batch 2: node1", "batch 3: node2"]
    guards = [s for s in plan.steps if s.task.endswith("check_ok_to_stop")]
    assert [g.kwargs["osd_ids"] for g in guards] == [[0, 1], [2, 3], [4, 5]]
    # Batch 2 is asked for only once batch 1 is back and restored.
    ids = [s.id for s in plan.steps]
    first_restore = next(s for s in plan.steps if s.task.endswith("restore")
                         and s.kwargs["kinds"] is None)
    assert guards[1].after == (first_restore.id,)
    assert ids.index("node0.back-node0") < ids.index(first_restore.id)
    # One chain: nothing of batch 2 runs beside batch 1.
    assert len(plan.waves()) == len(plan.steps)


def test_hosts_of_one_rack_go_apart_while_a_pool_places_a_copy_per_host() -> None:
    # rbd keeps one copy per rack (size 3, min_size 2): a1 and a2 together would do, but
    # ec places a chunk per host (2+2, min_size 3), so it can lose one host at a time.
    cluster, state = rack_cluster(), rack_state()
    plan = plan_rolling_maintenance(["a1", "a2", "b1"], cluster=cluster, state=state,
                                    reason="kernel", work=Work.REBOOT)
    assert [n for n in plan.notes if n.startswith("batch")] == [
        "batch 1: a1", "batch 2: a2", "batch 3: b1"]
    assert down_batches(replace(state, pools=tuple(p for p in state.pools
                                                   if p.pool_name == "rbd")),
                        ["a1", "a2", "b1"]) == [["a1", "a2"], ["b1"]]


def test_a_host_that_no_pool_can_spare_is_refused_by_pool(
        cluster: Cluster, healthy: ClusterState) -> None:
    tight = replace(healthy, pools=tuple(p.model_copy(update={"min_size": p.size})
                                         for p in healthy.pools))
    with pytest.raises(PlanRefused, match=r"node0 cannot go down even alone: pool .* "
                                          r"\(size 2, min_size 2\)"):
        plan_rolling_maintenance(["node0", "node1"], cluster=cluster, state=tight,
                                 reason="kernel", work=Work.REBOOT)
