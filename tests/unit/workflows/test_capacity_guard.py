"""Plans refuse a drain that would fill OSDs past nearfull less the margin (pure builders)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from ceph_tasks.ceph.models import PgBytes
from ceph_tasks.ceph.models.pg_mapping import PgMapping
from ceph_tasks.decisions.capacity import CapacityProjection, project
from inventory import Cluster
from workflows.builders import plan_decommission, plan_replace
from workflows.disks import plan_disk_replacement
from workflows.errors import PlanRefused
from workflows.fleet import FleetAction, plan_fleet
from workflows.state import ClusterState

MIB = 2**20


def drained(state: ClusterState, osds: tuple[int, ...], nearfull: float,
            mib: int = 40) -> CapacityProjection:
    """Each drained OSD's one PG (of mib MiB) moves to osd.0; use is the fixture's df."""
    before = PgMapping({f"2.{osd:x}": (osd, 1) for osd in osds})
    after = PgMapping({f"2.{osd:x}": (0, 1) for osd in osds})
    sizes = PgBytes(sizes={f"2.{osd:x}": mib * MIB for osd in osds})
    return project(state.df, before, after, sizes, state.pools, dict.fromkeys(osds, 0.0),
                   nearfull_ratio=nearfull)


def test_a_decommission_filling_an_osd_past_nearfull_less_the_margin_is_refused(
        cluster: Cluster, healthy: ClusterState) -> None:
    # osd.0 gets 80 MiB; with a nearfull ratio just above its use now, that passes it.
    now = healthy.df.osd(0)
    assert now is not None
    near = now.kb_used / now.kb + 0.06
    state = replace(healthy, capacity=drained(healthy, (4, 5), near))
    with pytest.raises(PlanRefused, match=r"decommission of node2 on cluster lab refused, "
                       r"nothing changed: osd\.0 would be .*% full .*past .*less a 5-point "
                       r"margin.*pool \S+ \(\+80\.0 MiB\)"):
        plan_decommission("node2", cluster=cluster, state=state)
    with pytest.raises(PlanRefused, match=r"osd\.0 would be"):
        plan_replace("node2", "node3", cluster=cluster, state=state)


def test_a_plan_within_the_limit_shows_the_fullest_osds_before_and_after(
        cluster: Cluster, healthy: ClusterState) -> None:
    state = replace(healthy, capacity=drained(healthy, (4, 5), 0.85))
    plan = plan_decommission("node2", cluster=cluster, state=state, reference="wf1")
    lines = plan.render().splitlines()
    assert any(line.startswith("  fullest OSDs now: osd.") for line in lines)
    after = next(line for line in lines if line.startswith("  fullest OSDs after:"))
    assert after.startswith("  fullest OSDs after: osd.0 ")
    assert json.loads(plan.to_json())["capacity"]["fullest_after"][0]["osd"] == 0


def test_the_margin_is_the_inventorys(cluster: Cluster, healthy: ClusterState) -> None:
    now = healthy.df.osd(0)
    assert now is not None
    # osd.0 (256 MiB) gets 4 MiB, 1.6 points: under nearfull, but within 5 points of it.
    near = now.kb_used / now.kb + 0.03
    state = replace(healthy, capacity=drained(healthy, (4, 5), near, mib=2))
    with pytest.raises(PlanRefused, match=r"osd\.0 would be"):
        plan_decommission("node2", cluster=cluster, state=state)
    no_margin = cluster.model_copy(update={"throttles": cluster.throttles.model_copy(
        update={"capacity_margin_points": 0.0})})
    plan_decommission("node2", cluster=no_margin, state=state)


def test_a_disk_replacement_is_refused_by_the_projection_of_its_osd(
        cluster: Cluster, healthy: ClusterState) -> None:
    state = replace(healthy, capacity=drained(healthy, (5,), 0.0001))
    with pytest.raises(PlanRefused, match=r"disk replacement of osd\.5 .*osd\.0 would be"):
        plan_disk_replacement(5, cluster=cluster, state=state)


def test_a_projection_of_other_osds_checks_nothing(cluster: Cluster,
                                                   healthy: ClusterState) -> None:
    state = replace(healthy, capacity=drained(healthy, (2, 3), 0.0001))
    plan = plan_decommission("node2", cluster=cluster, state=state)
    assert plan.osds == (4, 5)


def test_a_fleet_retire_is_projected_with_every_host_drained_at_once(
        cluster: Cluster, healthy: ClusterState) -> None:
    now = healthy.df.osd(0)
    assert now is not None
    near = now.kb_used / now.kb + 0.06
    both = healthy.osds_of("node1") + healthy.osds_of("node2")
    state = replace(healthy, capacity=drained(healthy, both, near))
    with pytest.raises(PlanRefused, match=r"retire of node1, node2 .* refused, nothing "
                       r"changed: osd\.0 would be"):
        plan_fleet(["node1", "node2"], FleetAction.RETIRE, cluster=cluster, state=state,
                   check_domains=lambda *_: [])
    # A replace brings each batch back: its projection is not the retire's.
    plan = plan_fleet(["node1", "node2"], FleetAction.REPLACE, cluster=cluster, state=state,
                      check_domains=lambda *_: [])
    assert plan.capacity is None
    roomy = replace(healthy, capacity=drained(healthy, both, 0.85))
    retire = plan_fleet(["node1", "node2"], FleetAction.RETIRE, cluster=cluster, state=roomy,
                        check_domains=lambda *_: [])
    assert retire.capacity is not None and "fullest OSDs after:" in retire.render()
