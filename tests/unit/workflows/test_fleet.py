"""Fleet maintenance: batches bounded per failure domain and by what pools can lose."""

from __future__ import annotations

import pytest

from inventory import Cluster
from tests.support.rack_lab import rack_cluster, rack_state
from workflows.errors import PlanRefused
from workflows.fleet import FleetAction, batches, domain_of_hosts, domains_at_once, plan_fleet
from workflows.state import ClusterState


def no_problems(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
    return []


def test_batches_hold_at_most_n_hosts_per_domain_and_m_domains() -> None:
    domain = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "c1": "C"}
    assert batches(list(domain), domain, per_domain=2, max_domains=2) == [
        ["a1", "a2", "b1"], ["a3", "c1"]]
    assert batches(list(domain), domain, per_domain=1, max_domains=1) == [
        ["a1"], ["a2"], ["a3"], ["b1"], ["c1"]]


def test_every_host_lands_in_exactly_one_batch_once() -> None:
    domain = {f"h{i}": f"d{i % 3}" for i in range(10)}
    found = batches([*domain, "h1"], domain, per_domain=2, max_domains=2)
    flat = [h for b in found for h in b]
    assert sorted(flat) == sorted(domain)
    for batch in found:
        assert len({domain[h] for h in batch}) <= 2


def test_pools_of_size_two_and_min_size_one_allow_one_domain_at_once(
    healthy: ClusterState,
) -> None:
    assert {(p.size, p.min_size) for p in healthy.pools} == {(2, 1)}
    assert domains_at_once(healthy) == 1


def test_retiring_two_hosts_runs_them_one_after_the_other(
    cluster: Cluster, healthy: ClusterState
) -> None:
    plan = plan_fleet(["node1", "node2"], FleetAction.RETIRE, cluster=cluster,
                                state=healthy, check_domains=no_problems, reference="f1")
    waves = plan.waves()
    wave_of = {step: i for i, wave in enumerate(waves) for step in wave}
    assert wave_of["node2.downtime-on-node2"] > wave_of["node1.wait-healthy.2"]
    assert plan.notes == ("batch 1: node1", "batch 2: node2")
    assert [s.task for s in plan.steps].count("cephmaint.check_removal") == 1


def test_retiring_hosts_the_pools_cannot_spare_is_refused_naming_the_pool(
    cluster: Cluster, healthy: ClusterState
) -> None:
    def short(state: ClusterState, hosts: tuple[str, ...]) -> list[str]:
        return ["pool data (size 2) would keep 1 host"] if len(hosts) > 1 else []

    with pytest.raises(PlanRefused, match=r"pool data \(size 2\)"):
        plan_fleet(["node1", "node2"], FleetAction.RETIRE, cluster=cluster,
                             state=healthy, check_domains=short)
    # Replaced hosts come back batch by batch: each batch alone is checked.
    plan = plan_fleet(["node1", "node2"], FleetAction.REPLACE, cluster=cluster,
                                state=healthy, check_domains=short)
    assert [s.task for s in plan.steps].count("cephmaint.check_removal") == 2


def test_a_fleet_replace_shows_each_pool_as_its_worst_batch_leaves_it() -> None:
    plan = plan_fleet(["a2", "d1"], FleetAction.REPLACE, cluster=rack_cluster(),
                      state=rack_state(), reference="f")
    lines = [line for line in plan.render().splitlines() if line.startswith("  pool ")]
    # One host at a time: d1 alone takes rack r4 away; PGs with a copy on either host move.
    assert [line.split(", ~")[0] for line in lines] == [
        "  pool ec (rule ec_hdd, erasure-coded, k+m 4): hosts 5 -> 4: ok; 4 PGs",
        "  pool rbd (rule rbd_rack, size 3): racks 4 -> 3: ok; 6 PGs",
    ]


def test_retiring_hosts_an_erasure_coded_pool_needs_is_refused_naming_it() -> None:
    with pytest.raises(PlanRefused, match=r"erasure-coded pool ec \(size 4\) needs 4 host "
                                          r".* rule ec_hdd, but only 3 host would be left"):
        plan_fleet(["a2", "d1"], FleetAction.RETIRE, cluster=rack_cluster(),
                   state=rack_state())


def test_hosts_of_one_rack_share_its_failure_domain_and_go_in_one_batch() -> None:
    cluster, state = rack_cluster(), rack_state()
    domains = domain_of_hosts(cluster, state)
    assert domains == {"a1": "r1", "a2": "r1", "b1": "r2", "c1": "r3", "d1": "r4"}
    assert batches(["a1", "b1", "a2"], domains, per_domain=2, max_domains=1) == [
        ["a1", "a2"], ["b1"]]


def test_a_fleet_of_a_host_the_inventory_describes_wrongly_is_refused_at_plan_time(
        cluster: Cluster, healthy: ClusterState) -> None:
    stale = cluster.model_copy(update={"osds": tuple(o for o in cluster.osds if o.id != 3)})
    with pytest.raises(PlanRefused, match=r"the inventory lists OSDs \[2\] on node1 but "
                                          r"CRUSH has \[2, 3\]; update the inventory"):
        plan_fleet(["node1"], FleetAction.RETIRE, cluster=stale, state=healthy,
                   check_domains=no_problems)
