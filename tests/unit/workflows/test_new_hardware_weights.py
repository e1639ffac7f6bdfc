"""New hardware's OSDs weigh their device size in TiB; the plan shows each domain's share."""

from __future__ import annotations

import pytest

from ceph_tasks.decisions.reweight_plan import ReweightError, size_weights
from ceph_tasks.decisions.weights import size_weight
from inventory import Cluster
from workflows.builders import plan_replace
from workflows.state import ClusterState

TIB = 1 << 40


def no_problems(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
    return []


def with_disks(cluster: Cluster, host: str, sizes: list[int | None]) -> Cluster:
    """The cluster with host's disks replaced by disks of these sizes."""
    data = cluster.model_dump()
    [entry] = [h for h in data["hosts"] if h["name"] == host]
    entry["devices"] = [{**entry["devices"][0], "path": f"/dev/sd{'bcdefg'[i]}",
                         "serial": f"N-{host}-{i}", "size_bytes": size}
                        for i, size in enumerate(sizes)]
    return Cluster.model_validate(data)


def test_a_device_weighs_its_size_in_tib_to_four_decimals_as_ceph_sets_it() -> None:
    assert size_weight(16_000_900_661_248) == 14.5527  # a "16 TB" disk
    assert size_weight(TIB) == 1.0
    assert size_weight(1000) == 0.0  # Ceph's floor of 0.00001, printed with four decimals


def test_sizes_unknown_for_some_osds_name_them() -> None:
    with pytest.raises(ReweightError, match=r"for osd.7 \(node3:/dev/sdc\)"):
        size_weights({6: "node3:/dev/sdb", 7: "node3:/dev/sdc"}, {"node3:/dev/sdb": TIB})


def test_bigger_new_hardware_warns_that_data_moves_between_the_other_domains(
    cluster: Cluster, healthy: ClusterState
) -> None:
    bigger = with_disks(cluster, "node3", [4 * TIB, 4 * TIB])
    plan = plan_replace("node2", "node3", cluster=bigger, state=healthy,
                        check_domains=no_problems, reference="r1")
    raise_step = next(s for s in plan.steps if s.id == "reweight-node3")
    assert raise_step.kwargs["target"] == "device size"
    assert "new OSDs of node3 weighted by their device size: 4, 4 (TiB)" in plan.notes
    assert [n for n in plan.notes if n.startswith("capacity")] == [
        "capacity of host node0: 2 (33%) -> 2 (17%)",
        "capacity of host node1: 2 (33%) -> 2 (17%)",
        "capacity of host node2: 2 (33%) -> none",
        "capacity of host node3: none -> 8 (67%)",
    ]
    [warning] = plan.warnings
    assert warning.startswith("the new hardware's weight differs from the old: data moves "
                              "between hosts, not only onto it")
    assert "node0 33% -> 17%, node1 33% -> 17%" in warning
    assert f"WARNING: {warning}" in plan.render()


def test_hardware_of_the_same_weight_moves_nothing_between_the_other_domains(
    cluster: Cluster, healthy: ClusterState
) -> None:
    same = with_disks(cluster, "node2", [TIB, TIB])
    plan = plan_replace("node2", cluster=same, state=healthy, check_domains=no_problems)
    assert "capacity of host node2: 2 (33%) -> 2 (33%)" in plan.notes
    assert plan.warnings == ()


def test_without_device_sizes_new_osds_take_the_old_weight(
    cluster: Cluster, healthy: ClusterState
) -> None:
    unknown = with_disks(cluster, "node3", [None, TIB])
    plan = plan_replace("node2", "node3", cluster=unknown, state=healthy,
                        check_domains=no_problems)
    assert next(s for s in plan.steps if s.id == "reweight-node3").kwargs["target"] == 1.0
    assert ("device sizes of node3 not all in the inventory: its new OSDs take weight 1"
            in plan.notes)
