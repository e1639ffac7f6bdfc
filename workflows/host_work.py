"""The builder of a host's work without moving its data: reboot, a command, or hands on (pure).

The host's OSDs stop under its own noout (`osd set-group noout HOST`, not the cluster-wide
flag) after Ceph says they may (`osd ok-to-stop`), the work is done, they start again, and
the noout is lifted only once they are up and in and every PG is active+clean: CRUSH never
sees them leave, so only the writes clients made meanwhile are recovered.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from ceph_tasks.decisions.failure_domains import domains_touched
from ceph_tasks.decisions.preconditions import ok_to_stop_problem
from ceph_tasks.decisions.restoration import Kind
from inventory import Cluster
from workflows.builders import (
    DEFAULT_TIMING,
    Timing,
    host_label,
    inventory_problems,
    new_reference,
    restore,
)
from workflows.errors import PlanRefused
from workflows.fleet import hosts_osds
from workflows.plan import MaintenancePlan, Phase
from workflows.state import ClusterState
from workflows.steps import StepMaker


class Work(StrEnum):
    """What is done to the host while its OSDs are stopped."""

    REBOOT = "reboot"
    COMMAND = "command"
    TECHNICIAN = "technician"


def plan_rolling_maintenance(
    hosts: Sequence[str], *, cluster: Cluster, state: ClusterState, reason: str, work: Work,
    command: Sequence[str] | None = None, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None,
) -> MaintenancePlan:
    """Work on many hosts, batch after batch, each batch back and clean before the next.

    A batch never has OSDs down in more failure domains, at any level of a pool's rule,
    than the pool can lose (see down_batches). Ceph's ok-to-stop is asked for each batch
    before it stops.
    """
    if len(hosts) == 1:
        return plan_host_maintenance(hosts[0], cluster=cluster, state=state, reason=reason,
                                     work=work, command=command, timing=timing,
                                     reference=reference)
    what = f"maintenance of {', '.join(hosts)} on cluster {cluster.name} refused, nothing changed"
    _check_work(what, reason, work, command)
    if not hosts:
        raise PlanRefused(f"{what}: no hosts given")
    for host in hosts:
        cluster.host(host)
    problems = inventory_problems(cluster, state, hosts)
    problems += [f"no OSD sits under the host bucket {h} in the CRUSH tree"
                 for h in hosts if not state.osds_of(h)]
    if problems:
        raise PlanRefused(f"{what}: {'; '.join(problems)}")
    groups = down_batches(state, hosts)
    ref = reference or new_reference("maintenance", f"{host_label(hosts[0])}-{len(hosts)}")
    plan = MaintenancePlan(
        kind="rolling maintenance", cluster=cluster.name, reference=ref, hosts=tuple(hosts),
        osds=hosts_osds(state, hosts),
        guards=("cluster healthy before anything changes",
                "each batch's OSDs ok to stop (every PG stays active) before it stops",
                "each batch back, its OSDs up and in and every PG active+clean, before the "
                "next"),
        notes=(f"reason: {reason}", *(f"batch {i}: {', '.join(b)}"
                                      for i, b in enumerate(groups, 1))),
    )
    shared = StepMaker(cluster.name, ref)
    plan.add(shared.healthy_to_start())
    for group in groups:
        plan.add(shared.ok_to_stop(hosts_osds(state, group), plan.last()))
        guard = plan.last()
        ends: list[str] = []
        for host in group:
            ends += _host_down(plan, StepMaker(cluster.name, ref, prefix=f"{host}."), host,
                               guard, reason, work, command, timing)
        plan.add(shared.restore(tuple(ends), [Kind.DAEMONS], phase=Phase.HARDWARE,
                                hosts=group))
        started = plan.last()
        backs = [plan.add(StepMaker(cluster.name, ref, prefix=f"{host}.").wait_host_back(
            host, started, timeout=timing.downtime)) for host in group]
        plan.add(shared.restore(tuple(backs), hosts=group))
    finals = StepMaker(cluster.name, ref, prefix="finally-")
    plan.finalisers.append(finals.restore((), phase=Phase.FINALISE, hosts=list(hosts)))
    return plan


def down_batches(state: ClusterState, hosts: Sequence[str]) -> list[list[str]]:
    """Hosts in batches, in order, each one that every pool can have down at once.

    A pool keeps serving while at least min_size copies of each PG are up: a batch may
    take down OSDs in at most size - min_size failure domains of each level of the pool's
    rule (an EC pool's min_size is k+1 by default, so m-1 of its domains). A host that no
    pool can spare alone is refused.
    """
    rules = {r.rule_id: r for r in state.rules}

    def fits(batch: list[str]) -> list[str]:
        osds = hosts_osds(state, batch)
        return [f"pool {p.pool_name} (size {p.size}, min_size {p.min_size}) would have "
                f"copies down in {touched} failure domains, more than its {p.size - p.min_size}"
                for p in state.pools if (rule := rules.get(p.crush_rule)) is not None
                and (touched := domains_touched(state.tree, rule, osds)) > p.size - p.min_size]

    result: list[list[str]] = []
    for host in dict.fromkeys(hosts):
        alone = fits([host])
        if alone:
            raise PlanRefused(f"{host} cannot go down even alone: {'; '.join(alone)}")
        batch = next((b for b in result[-1:] if not fits([*b, host])), None)
        if batch is None:
            result.append([host])
        else:
            batch.append(host)
    return result


def _host_down(plan: MaintenancePlan, steps: StepMaker, host: str, after: tuple[str, ...],
               reason: str, work: Work, command: Sequence[str] | None,
               timing: Timing) -> tuple[str, ...]:
    """Downtime, the host's noout, its daemons stopped and the work; returns the last step."""
    plan.add(steps.downtime_on(host, timing.downtime, after))
    plan.add(steps.host_noout(host, plan.last()))
    plan.add(steps.stop_daemons(host, plan.last()))
    if work is Work.TECHNICIAN:
        plan.add(steps.notify(host, f"work on {host} (its Ceph daemons are stopped): "
                                    f"{reason}", plan.last()))
        plan.add(steps.wait_technician(host, timing.technician, plan.last(),
                                       interval=timing.technician_interval))
    else:
        plan.add(steps.run_on_host(host, plan.last(), timeout=timing.downtime,
                                   command=command if work is Work.COMMAND else None))
    return plan.last()


def _check_work(what: str, reason: str, work: Work, command: Sequence[str] | None) -> None:
    if (work is Work.COMMAND) != bool(command):
        raise PlanRefused(f"{what}: a command is given with, and only with, --command")
    if not reason.strip():
        raise PlanRefused(f"{what}: give the reason for the work (--reason)")


def plan_host_maintenance(
    host: str, *, cluster: Cluster, state: ClusterState, reason: str, work: Work,
    command: Sequence[str] | None = None, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None,
) -> MaintenancePlan:
    """Take a host down for work and bring it back, its data held in place meanwhile."""
    what = f"maintenance of {host} on cluster {cluster.name} refused, nothing changed"
    _check_work(what, reason, work, command)
    cluster.host(host)  # UnknownHostError names the cluster and the host
    osds = state.osds_of(host)
    problems = inventory_problems(cluster, state, (host,))
    if not osds:
        problems.append(f"no OSD sits under the host bucket {host} in the CRUSH tree")
    elif state.ok_to_stop is not None:
        problems += [p for p in [ok_to_stop_problem(state.ok_to_stop, osds)] if p]
    if problems:
        raise PlanRefused(f"{what}: {'; '.join(problems)}")
    ref = reference or new_reference("maintenance", host_label(host))
    down = cluster.max_down_seconds
    plan = MaintenancePlan(
        kind="maintenance", cluster=cluster.name, reference=ref, hosts=(host,), osds=osds,
        guards=("cluster healthy before anything changes",
                f"{', '.join(f'osd.{i}' for i in osds)} ok to stop (every PG stays active)",
                f"noout on {host} lifted only once its OSDs are up and in, every PG "
                "active+clean"),
        notes=(f"reason: {reason}",
               f"no data moves: {host}'s OSDs stay in while down; only the writes made "
               "meanwhile are recovered",
               f"down longer than {down:g} s (inventory max_down_seconds): the operators are "
               "told and it holds, noout kept, until `cephmaint extend` or `cephmaint cancel`"),
    )
    steps = StepMaker(cluster.name, ref)
    plan.add(steps.healthy_to_start())
    plan.add(steps.ok_to_stop(osds, plan.last()))
    _host_down(plan, steps, host, plan.last(), reason, work, command, timing)
    plan.add(steps.restore(plan.last(), [Kind.DAEMONS], phase=Phase.HARDWARE, hosts=[host]))
    plan.add(steps.wait_host_back(host, plan.last(), timeout=timing.downtime))
    # The same restore runs if the work fails or is cancelled: the daemons start first, and
    # a host still unreachable fails it there, its noout kept.
    restore(plan, steps, [host])
    return plan
