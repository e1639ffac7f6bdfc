"""Decommission a host that is down for good (pure: inventory and state in, plan out).

Its OSDs are down and cannot be drained: each is marked out at once, its PGs recovered
from the surviving copies until Ceph calls it safe to destroy, then they are purged and
the host's bucket removed. Nothing runs on the host itself (it does not answer), so its
devices are not zapped. This is also what a maintenance without drain whose host never
came back turns into (`cephmaint decommission-instead`).
"""

from __future__ import annotations

from ceph_tasks.decisions.failed_osd import failed_osds_problems
from inventory import Cluster
from workflows.builders import (
    DEFAULT_TIMING,
    Timing,
    before_moving,
    fullness_problems,
    host_label,
    inventory_problems,
    new_reference,
    restore,
)
from workflows.errors import PlanRefused
from workflows.impact import removal_impact
from workflows.plan import MaintenancePlan, Phase
from workflows.recovery_plan import recovery_lines
from workflows.state import ClusterState, DomainCheck, domain_problems
from workflows.steps import StepMaker


def plan_failed_host(
    host: str, *, cluster: Cluster, state: ClusterState,
    check_domains: DomainCheck = domain_problems, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None,
) -> MaintenancePlan:
    """Retire a dead host: its OSDs out now, recovered elsewhere, purged; its bucket gone."""
    cluster.host(host)  # UnknownHostError names the cluster and the host
    osds = state.osds_of(host)
    problems = [] if osds else [f"no OSD sits under the host bucket {host} in CRUSH"]
    problems += failed_osds_problems(state.tree, state.pgs, osds)
    problems += check_domains(state, (host,))
    problems += inventory_problems(cluster, state, (host,))
    problems += fullness_problems(cluster, state, osds)
    if problems:
        raise PlanRefused(f"decommission of failed host {host} on cluster {cluster.name} "
                          f"refused, nothing changed: {'; '.join(problems)}")
    ref = reference or new_reference("decommission", host_label(host))
    named = ", ".join(f"osd.{o}" for o in osds)
    plan = MaintenancePlan(
        kind="decommission of a failed host", cluster=cluster.name, reference=ref,
        hosts=(host,), osds=osds, failed=osds, pools=removal_impact(state, osds),
        guards=(f"cluster healthy but for {host}'s failed OSDs, each of which must be down",
                f"every pool keeps enough {cluster.failure_domain_type}s without {host}",
                f"{named} safe to destroy (their data recovered) before they are purged"),
        notes=(f"{host} does not answer: nothing runs on it, its devices are not zapped "
               "(zap them before reusing them)",),
        capacity=state.capacity, recovery=recovery_lines(cluster, state))
    steps = StepMaker(cluster.name, ref)
    plan.add(steps.healthy_to_start(failed=osds))
    plan.add(steps.removal_guard([host], plan.last()))
    before_moving(plan, steps)
    downtime = plan.add(steps.downtime_on(host, timing.downtime, plan.last()))
    recovered = [plan.add(steps.out_failed(o, (downtime,), timeout=timing.healthy,
                                           interval=timing.health_interval)) for o in osds]
    plan.add(steps.remove_node(host, osds, recovered))
    plan.add(steps.wait_healthy(plan.last(), timing.healthy, timing.health_interval,
                                phase=Phase.REMOVE))
    restore(plan, steps, [host])
    return plan
