"""Builders of disk replacements, keeping the OSD ids (pure: inventory and state in, plan out).

What is swapped is a data disk (its one OSD) or a fast device holding the DB/WAL of several
OSDs (all of them go with it, and come back together). Hardware that still works is drained
first, then destroyed and swapped; failed hardware (its OSDs down) is not drained: Ceph
recovers the data from the other copies, and the data comes back once, onto the new device.
"""

from __future__ import annotations

from dataclasses import dataclass

from ceph_tasks.decisions.failed_osd import failed_osds_problems
from ceph_tasks.names import ORIGINAL_WEIGHT
from inventory import Cluster, Device, FailingDevices, Host
from workflows.builders import (
    DEFAULT_TIMING,
    Timing,
    before_moving,
    fullness_problems,
    hands_on,
    host_label,
    new_osds,
    new_reference,
    restore,
)
from workflows.errors import PlanRefused
from workflows.impact import removal_impact
from workflows.plan import MaintenancePlan, Phase
from workflows.recovery_plan import recovery_lines
from workflows.state import ClusterState
from workflows.steps import StepMaker


@dataclass(frozen=True)
class _Unit:
    """What is swapped, and the OSDs that go and come back with it."""

    host: Host
    osds: tuple[int, ...]
    #: The OSDs' data disks, where they are created again.
    data: tuple[str, ...]
    swapped: Device
    #: How plans and references name it: "disk replacement", "DB device replacement".
    kind: str
    label: str

    @property
    def named(self) -> str:
        return ", ".join(f"osd.{o}" for o in self.osds)

    @property
    def action(self) -> str:
        """What the technicians are asked to do."""
        what = "disk" if self.swapped.path in self.data else "DB device"
        return (f"replace the {what} {self.swapped.path} ({self.named}) in bay "
                f"{self.swapped.bay or '?'}")


def plan_disk_replacement(
    osd_id: int, *, cluster: Cluster, state: ClusterState, timing: Timing = DEFAULT_TIMING,
    reference: str | None = None, failed: bool = False, ticket: str | None = None,
) -> MaintenancePlan:
    """Replace one OSD's disk, keeping its id: drain, destroy, swap, recreate, raise back.

    failed: the disk has failed (its OSD is down): marked out at once and recovered from
    the other copies instead of drained. ticket: the tracker's ticket already open about
    it (the watch's proposal), which the replacement comments instead of opening another.
    """
    osd = cluster.osd(osd_id)
    host = cluster.host(osd.host)
    unit = _Unit(host, (osd_id,), (osd.device,), host.device(osd.device), "disk replacement",
                 f"{host_label(host.name)}-osd{osd_id}")
    return _build(unit, cluster, state, timing, reference, failed, ticket)


def plan_db_device_replacement(
    host: str, db_device: str, *, cluster: Cluster, state: ClusterState,
    timing: Timing = DEFAULT_TIMING, reference: str | None = None, failed: bool = False,
    ticket: str | None = None,
) -> MaintenancePlan:
    """Replace a device holding the DB/WAL of several OSDs: the group goes as one unit.

    Ceph must agree to stop them all at once; they are drained (or, failed, recovered),
    destroyed with their ids kept, their data disks zapped, the device swapped with its
    serial checked, and every OSD of the group recreated on its disk with the new DB.
    """
    listed = cluster.host(host)
    device = listed.device(db_device)
    group = sorted((o for o in cluster.osds_on(host) if o.db_device == db_device),
                   key=lambda o: o.id)
    if not group:
        raise PlanRefused(f"DB device replacement of {db_device} on {host} refused, nothing "
                          f"changed: no OSD of {host} keeps its DB there in the inventory")
    unit = _Unit(listed, tuple(o.id for o in group), tuple(o.device for o in group), device,
                 "DB device replacement", f"{host_label(host)}-db")
    return _build(unit, cluster, state, timing, reference, failed, ticket)


def _build(unit: _Unit, cluster: Cluster, state: ClusterState, timing: Timing,
           reference: str | None, failed: bool, ticket: str | None) -> MaintenancePlan:
    kind = f"failed {unit.kind}" if failed else unit.kind
    problems = _placement_problems(unit, state)
    if failed:
        problems += failed_osds_problems(state.tree, state.pgs, unit.osds)
    pools = removal_impact(state, unit.osds)
    # Refused when losing the OSDs takes a failure domain from a pool and leaves it short
    # (its data could never be whole again); a pool short already whose domains this leaves
    # as they are does not refuse it: the new hardware may be what that pool lacks.
    problems += [s.describe() for p in pools if p.domains.changed
                 for s in p.domains.shortfalls()]
    problems += fullness_problems(cluster, state, unit.osds)
    if problems:
        raise PlanRefused(f"{kind} of {unit.named} on cluster {cluster.name} refused, "
                          f"nothing changed: {'; '.join(problems)}")
    swapped = unit.swapped
    plan = MaintenancePlan(
        kind=kind, cluster=cluster.name, hosts=(unit.host.name,), osds=unit.osds,
        reference=reference or new_reference("disk", unit.label), pools=pools,
        # Failed: what they held comes back from the other copies, not from them.
        data_to_move_bytes=0 if failed else state.bytes_on(unit.osds),
        failed=unit.osds if failed else (),
        notes=(f"{swapped.path}, bay {swapped.bay or '?'}, serial {swapped.serial or '?'}",
               *_failure_notes(cluster)),
        capacity=state.capacity, recovery=recovery_lines(cluster, state))
    steps = StepMaker(cluster.name, plan.reference)
    host = unit.host.name
    if failed:
        plan.guards = (f"cluster healthy but for failed {unit.named}, each of which must be "
                       "down",)
        plan.add(steps.healthy_to_start(failed=unit.osds))
    else:
        plan.guards = ("cluster healthy before anything changes",)
        plan.add(steps.healthy_to_start())
        if len(unit.osds) > 1:
            plan.guards += (f"Ceph agrees to stop {unit.named} at once",)
            plan.add(steps.ok_to_stop(unit.osds, plan.last()))
    plan.guards += (f"{unit.named} safe to destroy before destroyed",
                    "the new device's serial reported by the host before the OSDs are "
                    "recreated")
    tracked = cluster.notifications.ticket is not None
    if tracked and ticket is not None:
        plan.add(steps.ticket_stage("started", f"{kind} of {unit.named} on {host} started",
                                    plan.last(), phase=Phase.PREPARE, ticket=ticket))
    before_moving(plan, steps)
    downtime = plan.add(steps.downtime_on(host, timing.downtime, plan.last()))
    if failed:
        recovered = [plan.add(steps.out_failed(o, (downtime,), timeout=timing.healthy,
                                               interval=timing.health_interval))
                     for o in unit.osds]
        plan.add(steps.destroy_osds(host, unit.osds, recovered))
    else:
        plan.add(steps.reweight_osds(unit.osds, 0.0, plan.last()))
        plan.add(steps.wait_healthy(plan.last(), timing.healthy, timing.health_interval))
        plan.add(steps.safe_to_destroy(unit.osds, plan.last()))
        plan.add(steps.destroy_osds(host, unit.osds, plan.last()))
    if swapped.path not in unit.data:
        # The data disks stay: wiped, so that the OSDs can be made again on them.
        plan.add(steps.zap(host, unit.osds, plan.last()))
    locate = cluster.failures.locate_on is not None
    if locate:
        plan.add(steps.locate(host, [swapped.path], plan.last(), on=True))
    hands_on(plan, steps, host, unit.action, timing, device_paths=[swapped.path],
             expect_serials=1, ticket=ticket)
    if locate:
        plan.add(steps.locate(host, [swapped.path], plan.last(), on=False))
    new_osds(plan, steps, host, plan.last(), devices=list(unit.data))
    if tracked:
        plan.add(steps.ticket_stage("recreated", f"{unit.named} created again on the new "
                                    "device; its data is coming back", plan.last(),
                                    phase=Phase.ADD))
    plan.add(steps.reweight_osds(unit.osds, ORIGINAL_WEIGHT, plan.last(), phase=Phase.ADD))
    plan.add(steps.wait_healthy(plan.last(), timing.healthy, timing.health_interval,
                                phase=Phase.ADD))
    if tracked:
        plan.add(steps.ticket_stage("done", f"{unit.named} back at its weight and every PG "
                                    "clean: the replacement is done", plan.last(),
                                    phase=Phase.ADD, close=True))
    restore(plan, steps, [host], drained=unit.osds)
    # A bad new device is found now, not at the next failure.
    plan.add(steps.deep_scrub(plan.last(), osds=unit.osds))
    return plan


def _placement_problems(unit: _Unit, state: ClusterState) -> list[str]:
    """Where CRUSH and the inventory disagree on the OSDs' host."""
    return [f"osd.{o} sits under {live or 'no host'} in the CRUSH tree but under "
            f"{unit.host.name} in the inventory: check the inventory"
            for o in unit.osds if (live := state.tree.host_of(o)) != unit.host.name]


def _failure_notes(cluster: Cluster) -> tuple[str, ...]:
    """What the failure policy adds to the plan: who acts on failing devices, the LED."""
    policy = cluster.failures
    notes = []
    if policy.failing_devices is FailingDevices.CEPHMAINT:
        notes.append("devicehealth self_heal is off on this cluster while cephmaint acts on "
                     "failing devices (turned off by `cephmaint watch`, recorded under "
                     f"watch.{cluster.name}, back on when the inventory says ceph)")
    if policy.locate_on is not None:
        notes.append(f"the drive's locate LED lit for the technicians by "
                     f"{' '.join(policy.locate_on)}, put out after the swap")
    return tuple(notes)
