"""Builders of disk replacements, keeping the OSD id (pure: inventory and state in, plan out).

A disk that still works is drained first, then destroyed and swapped; a failed disk (its
OSD down) is not drained: Ceph recovers its data from the other copies, and the data comes
back once, onto the new disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from ceph_tasks.decisions.failed_osd import failed_osd_problem
from ceph_tasks.names import ORIGINAL_WEIGHT
from inventory import Cluster, Device, Host
from workflows.builders import (
    DEFAULT_TIMING,
    Timing,
    before_moving,
    fullness_problems,
    hands_on,
    host_label,
    new_reference,
    restore,
)
from workflows.errors import PlanRefused
from workflows.impact import removal_impact
from workflows.plan import MaintenancePlan, Phase
from workflows.state import ClusterState
from workflows.steps import StepMaker


@dataclass(frozen=True)
class _Disk:
    """The disk of one OSD, as the inventory and the live cluster agree on it."""

    osd: int
    host: Host
    device: Device

    @property
    def where(self) -> str:
        """Where the technicians find it."""
        device = self.device
        return f"disk {device.path}, bay {device.bay or '?'}, serial {device.serial or '?'}"


def plan_disk_replacement(
    osd_id: int, *, cluster: Cluster, state: ClusterState, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None, failed: bool = False,
) -> MaintenancePlan:
    """Replace one OSD's disk, keeping its id: drain, destroy, swap, recreate, raise back.

    failed: the disk has failed (its OSD is down): no drain, see plan_failed_disk.
    """
    if failed:
        return plan_failed_disk(osd_id, cluster=cluster, state=state, timing=timing,
                                reference=reference)
    disk = _disk(osd_id, cluster, state)
    plan = _plan(disk, cluster, state, "disk replacement", reference)
    plan.guards = ("cluster healthy before anything changes",
                   f"osd.{osd_id} safe to destroy before it is destroyed",
                   "the new disk's serial reported by the host before the OSD is recreated")
    steps = StepMaker(cluster.name, plan.reference)
    host = disk.host.name
    plan.add(steps.healthy_to_start())
    before_moving(plan, steps)
    plan.add(steps.downtime_on(host, timing.downtime, plan.last()))
    plan.add(steps.reweight_osds([osd_id], 0.0, plan.last()))
    plan.add(steps.wait_healthy(plan.last(), timing.healthy, timing.health_interval))
    plan.add(steps.safe_to_destroy([osd_id], plan.last()))
    _swap(plan, steps, disk, timing)
    return plan


def plan_failed_disk(
    osd_id: int, *, cluster: Cluster, state: ClusterState, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None,
) -> MaintenancePlan:
    """Replace a failed disk, keeping its OSD id: out now, recovered, destroyed, swapped.

    The OSD is marked out at once (Ceph would wait mon_osd_down_out_interval), its data
    recovered from the other copies until Ceph calls it safe to destroy; then it is
    destroyed (id and CRUSH place kept), swapped with the serial check, recreated on the
    new disk and raised back to its old weight in steps: its data comes back once.
    """
    what = f"failed disk replacement of osd.{osd_id} on cluster {cluster.name}"
    held = len(state.pgs.on_osd(osd_id)) if state.pgs is not None else 0
    problem = failed_osd_problem(state.tree, osd_id, held)
    if problem:
        raise PlanRefused(f"{what} refused, nothing changed: {problem}")
    disk = _disk(osd_id, cluster, state)
    plan = _plan(disk, cluster, state, "failed disk replacement", reference)
    plan.failed = (osd_id,)
    plan.data_to_move_bytes = 0  # what it held comes back from the other copies, not from it
    plan.guards = (f"cluster healthy but for failed osd.{osd_id}, which must be down",
                   f"osd.{osd_id} safe to destroy (its data recovered) before it is destroyed",
                   "the new disk's serial reported by the host before the OSD is recreated")
    steps = StepMaker(cluster.name, plan.reference)
    plan.add(steps.healthy_to_start(failed=[osd_id]))
    before_moving(plan, steps)
    plan.add(steps.downtime_on(disk.host.name, timing.downtime, plan.last()))
    plan.add(steps.out_failed(osd_id, plan.last(), timeout=timing.healthy,
                              interval=timing.health_interval))
    _swap(plan, steps, disk, timing)
    return plan


def _disk(osd_id: int, cluster: Cluster, state: ClusterState) -> _Disk:
    osd = cluster.osd(osd_id)
    host = cluster.host(osd.host)
    live_host = state.tree.host_of(osd_id)
    if live_host != osd.host:
        raise PlanRefused(f"osd.{osd_id} sits under {live_host or 'no host'} in the CRUSH "
                          f"tree but under {osd.host} in the inventory: check the inventory")
    return _Disk(osd_id, host, host.device(osd.device))


def _plan(disk: _Disk, cluster: Cluster, state: ClusterState, kind: str,
          reference: str | None) -> MaintenancePlan:
    pools = removal_impact(state, (disk.osd,))
    # Refused when losing the OSD takes a failure domain from a pool and leaves it short
    # (its data could never be whole again); a pool short already whose domains this leaves
    # as they are does not refuse it: the new disk may be what that pool lacks.
    problems = [s.describe() for p in pools if p.domains.changed
                for s in p.domains.shortfalls()]
    problems += fullness_problems(cluster, state, (disk.osd,))
    if problems:
        raise PlanRefused(f"{kind} of osd.{disk.osd} on cluster {cluster.name} refused, "
                          f"nothing changed: {'; '.join(problems)}")
    ref = reference or new_reference("disk", f"{host_label(disk.host.name)}-osd{disk.osd}")
    return MaintenancePlan(
        kind=kind, cluster=cluster.name, reference=ref, hosts=(disk.host.name,),
        osds=(disk.osd,), data_to_move_bytes=state.bytes_on((disk.osd,)), pools=pools,
        notes=(disk.where,), capacity=state.capacity)


def _swap(plan: MaintenancePlan, steps: StepMaker, disk: _Disk, timing: Timing) -> None:
    """Destroy (id kept), the technicians' swap, recreate, raise back, restore, deep-scrub."""
    host, osd = disk.host.name, disk.osd
    plan.add(steps.destroy_osds(host, [osd], plan.last()))
    action = f"replace the disk {disk.device.path} (osd.{osd}) in bay {disk.device.bay or '?'}"
    hands_on(plan, steps, host, action, timing, device_paths=[disk.device.path],
             expect_serials=1)
    plan.add(steps.add_node(host, plan.last(), devices=[disk.device.path]))
    plan.add(steps.reweight_osds([osd], ORIGINAL_WEIGHT, plan.last(), phase=Phase.ADD))
    plan.add(steps.wait_healthy(plan.last(), timing.healthy, timing.health_interval,
                                phase=Phase.ADD))
    restore(plan, steps, [host], drained=[osd])
    plan.add(steps.deep_scrub(plan.last(), osds=[osd]))
