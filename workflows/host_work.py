"""The builder of a host's work without moving its data: reboot, a command, or hands on (pure).

The host's OSDs stop under its own noout (`osd set-group noout HOST`, not the cluster-wide
flag) after Ceph says they may (`osd ok-to-stop`), the work is done, they start again, and
the noout is lifted only once they are up and in and every PG is active+clean: CRUSH never
sees them leave, so only the writes clients made meanwhile are recovered.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

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
from workflows.plan import MaintenancePlan, Phase
from workflows.state import ClusterState
from workflows.steps import StepMaker


class Work(StrEnum):
    """What is done to the host while its OSDs are stopped."""

    REBOOT = "reboot"
    COMMAND = "command"
    TECHNICIAN = "technician"


def plan_host_maintenance(
    host: str, *, cluster: Cluster, state: ClusterState, reason: str, work: Work,
    command: Sequence[str] | None = None, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None,
) -> MaintenancePlan:
    """Take a host down for work and bring it back, its data held in place meanwhile."""
    what = f"maintenance of {host} on cluster {cluster.name} refused, nothing changed"
    if (work is Work.COMMAND) != bool(command):
        raise PlanRefused(f"{what}: a command is given with, and only with, --command")
    if not reason.strip():
        raise PlanRefused(f"{what}: give the reason for the work (--reason)")
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
    plan.add(steps.downtime_on(host, timing.downtime, plan.last()))
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
    plan.add(steps.restore(plan.last(), [Kind.DAEMONS], phase=Phase.HARDWARE, hosts=[host]))
    plan.add(steps.wait_host_back(host, plan.last(), timeout=timing.downtime))
    # The same restore runs if the work fails or is cancelled: the daemons start first, and
    # a host still unreachable fails it there, its noout kept.
    restore(plan, steps, [host])
    return plan
