"""Many hosts at once: batches that never put too many failure domains in flight (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from inventory import Cluster
from workflows.builders import (
    DEFAULT_TIMING,
    Moving,
    Timing,
    add_and_raise,
    before_moving,
    daemon_problems,
    drain_and_remove,
    fullness_problems,
    host_label,
    inventory_problems,
    new_osd_weights,
    new_reference,
    restore,
)
from workflows.errors import PlanError, PlanRefused
from workflows.impact import removal_impact, worst_of
from workflows.plan import MaintenancePlan
from workflows.recovery_plan import recovery_lines
from workflows.state import ClusterState, DomainCheck, domain_problems
from workflows.steps import StepMaker


class FleetAction(StrEnum):
    """What happens to every host of a fleet maintenance."""

    RETIRE = "retire"
    REPLACE = "replace"


def domains_at_once(state: ClusterState) -> int:
    """How many failure domains may be in maintenance together without risking data.

    Every PG keeps min_size copies even if all hosts in flight failed at once only while
    at most size - min_size failure domains are in flight, for every pool.
    """
    spare = [p.size - p.min_size for p in state.pools]
    return max(1, min(spare, default=1))


def domain_of_hosts(cluster: Cluster, state: ClusterState) -> dict[str, str]:
    """The failure domain of each inventory host, of the cluster's failure-domain type.

    For type host it is the host (or what the inventory names); for a wider type it is
    the live CRUSH bucket of that type holding the host's OSDs, else what the inventory
    names, else the host's rack: hosts of one rack share one domain.
    """
    kind = cluster.failure_domain_type
    by_osd: dict[int, str] = {}
    if kind != "host":
        for bucket, members in state.tree.buckets(kind).items():
            by_osd.update({osd: bucket for osd in members})
    domains = {}
    for host in cluster.hosts:
        osds = state.osds_of(host.name)
        if kind == "host":
            domains[host.name] = host.failure_domain
        elif osds and osds[0] in by_osd:
            domains[host.name] = by_osd[osds[0]]
        elif host.failure_domain != host.name:
            domains[host.name] = host.failure_domain
        else:
            domains[host.name] = host.rack
    return domains


def batches(hosts: Sequence[str], domain_of: Mapping[str, str], per_domain: int,
            max_domains: int) -> list[list[str]]:
    """Hosts in batches: at most per_domain hosts of a domain, max_domains domains, per batch."""
    if per_domain < 1 or max_domains < 1:
        raise PlanError("per_domain and max_domains must be at least 1")
    left = list(dict.fromkeys(hosts))
    result: list[list[str]] = []
    while left:
        batch: list[str] = []
        counts: dict[str, int] = {}
        for host in list(left):
            domain = domain_of[host]
            if counts.get(domain, 0) >= per_domain:
                continue
            if domain not in counts and len(counts) >= max_domains:
                continue
            counts[domain] = counts.get(domain, 0) + 1
            batch.append(host)
            left.remove(host)
        result.append(batch)
    return result


def plan_fleet(
    hosts: Sequence[str], action: FleetAction, *, cluster: Cluster, state: ClusterState,
    check_domains: DomainCheck = domain_problems, per_domain: int = 1,
    timing: Timing = DEFAULT_TIMING,
    reference: str | None = None,
) -> MaintenancePlan:
    """Retire or replace (in place) many hosts, batch after batch, hosts of a batch together."""
    if not hosts:
        raise PlanRefused("a fleet maintenance needs at least one host")
    for host in hosts:
        cluster.host(host)
    domain_of = domain_of_hosts(cluster, state)
    groups = batches(hosts, domain_of, per_domain, domains_at_once(state))
    # Retired hosts never come back: the pools must do without all of them in the end.
    # Replaced hosts come back batch by batch: each batch must be survivable on its own.
    checks = [tuple(hosts)] if action == FleetAction.RETIRE else [tuple(b) for b in groups]
    problems = [p for group in checks for p in check_domains(state, group)]
    problems += inventory_problems(cluster, state, hosts)
    problems += daemon_problems(cluster, state, hosts)
    moving = {h: Moving.of(cluster, state, h, h if action == FleetAction.REPLACE else None)
              for h in hosts}
    problems += [p for m in moving.values() for p in m.problems(cluster)]
    osds = hosts_osds(state, hosts)
    if action == FleetAction.RETIRE:
        # Every retired host's data ends on the hosts that stay: projected all together.
        problems += fullness_problems(cluster, state, osds)
    if problems:
        raise PlanRefused(f"{action} of {', '.join(hosts)} on cluster {cluster.name} refused, "
                          f"nothing changed: {'; '.join(dict.fromkeys(problems))}")
    ref = reference or new_reference(f"fleet-{action}", host_label(hosts[0]))
    plan = MaintenancePlan(
        kind=f"fleet {action}", cluster=cluster.name, reference=ref, hosts=tuple(hosts),
        osds=osds, data_to_move_bytes=state.bytes_on(osds),
        pools=worst_of([removal_impact(state, hosts_osds(state, g)) for g in checks],
                       removal_impact(state, osds)),
        guards=("cluster healthy before anything changes",
                f"every pool keeps enough {cluster.failure_domain_type}s",
                "each host's OSDs safe to destroy before its removal"),
        notes=tuple(f"batch {i}: {', '.join(b)}" for i, b in enumerate(groups, 1)),
        capacity=state.capacity if action == FleetAction.RETIRE else None,
        recovery=recovery_lines(cluster, state),
    )
    shared = StepMaker(cluster.name, ref)
    plan.add(shared.healthy_to_start())
    if action == FleetAction.RETIRE:
        plan.add(shared.removal_guard(list(hosts), plan.last()))
    before_moving(plan, shared)
    last: tuple[str, ...] = plan.last()
    for group in groups:
        if action == FleetAction.REPLACE:
            last = (plan.add(shared.removal_guard(group, last)),)
        ends: list[str] = []
        for host in group:
            steps = StepMaker(cluster.name, ref, prefix=f"{host}.")
            osds = state.osds_of(host)
            end = drain_and_remove(
                plan, steps, host, osds, timing, last,
                hand_over=moving[host].entities, stop_left=moving[host].stops_left(cluster))
            if action == FleetAction.REPLACE:
                end = (plan.add(steps.notify(host, f"replace the hardware of {host}", end)),)
                end = (plan.add(steps.wait_technician(host, timing.technician, end,
                                                      interval=timing.technician_interval)),)
                if moving[host].kinds:
                    end = (plan.add(steps.add_daemons(host, moving[host].kinds, end,
                                                      fs=moving[host].fs)),)
                old = max(state.tree.crush_weights(frozenset(osds)).values(), default=1.0)
                weight, _, how = new_osd_weights(cluster, host, old)
                plan.notes += (how,)
                end = add_and_raise(plan, steps, host, weight, timing, end)
            ends += end
        last = tuple(ends)
    restore(plan, shared, list(hosts), after=last, drained=plan.osds)
    if action == FleetAction.REPLACE:
        restored = plan.last()
        for host in hosts:
            plan.add(StepMaker(cluster.name, ref, prefix=f"{host}.").deep_scrub(restored,
                                                                                 host=host))
    return plan


def hosts_osds(state: ClusterState, hosts: Sequence[str]) -> tuple[int, ...]:
    """The OSDs CRUSH has under these hosts, host after host."""
    return tuple(o for h in hosts for o in state.osds_of(h))
