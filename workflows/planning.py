"""From a command's words to a plan: which maintenance, of what, on which cluster (pure).

`plan_maintenance(Kind.REPLACE, "node2", inventory=..., state=...)` finds the cluster that
holds the host (or the OSD, for a disk) in the inventory and calls its builder with the
cluster's state, read beforehand by the caller (workflows.snapshot).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from inventory import Cluster, Inventory
from workflows import builders, disks, failed_host, host_work
from workflows.errors import UnknownTarget
from workflows.plan import MaintenancePlan
from workflows.releases import release_notes
from workflows.state import ClusterState


class Kind(StrEnum):
    """The maintenances the CLI and runbook scripts can plan."""

    DECOMMISSION = "decommission"
    REPLACE = "replace"
    ADD = "add"
    DISK = "disk"
    #: Work on a host without moving its data (reboot, a command, hands on).
    MAINTENANCE = "maintenance"


#: The maintenances that move a host's data: they take a strategy (move-once or in steps)
#: and read which upmap items the cluster and its clients allow.
MOVING_DATA = frozenset({Kind.REPLACE, Kind.ADD, Kind.DECOMMISSION})


def target_cluster(kind: Kind, target: str, inventory: Inventory,
                   name: str | None = None) -> Cluster:
    """The cluster a maintenance works on: the named one, or the one holding its target."""
    if kind == Kind.DISK and _is_osd(target):
        return osd_cluster(inventory, osd_number(target), name)
    return cluster_of(inventory, hosts_of(target)[0], name)


def plan_maintenance(kind: Kind, target: str, *, cluster: Cluster, state: ClusterState,
                     new_host: str | None = None, **options: Any) -> MaintenancePlan:
    """Build the plan of one maintenance of a cluster in the given state.

    For a disk replacement, target names the OSD: "osd.5" or "5"; with db_device, the host
    whose device holding several OSDs' DB/WAL is replaced. failed=True (a disk, or a host
    to decommission) recovers the data of OSDs already down instead of draining it.
    """
    plan = _plan(kind, target, cluster=cluster, state=state, new_host=new_host, **options)
    notes, warnings = release_notes(state.versions)
    plan.notes, plan.warnings = notes + plan.notes, plan.warnings + warnings
    return plan


def _plan(kind: Kind, target: str, *, cluster: Cluster, state: ClusterState,
          new_host: str | None, **options: Any) -> MaintenancePlan:
    if kind == Kind.DISK and options.get("db_device") is not None:
        return disks.plan_db_device_replacement(target, options.pop("db_device"),
                                                cluster=cluster, state=state, **options)
    if kind == Kind.DISK:
        options.pop("db_device", None)
        return disks.plan_disk_replacement(osd_number(target), cluster=cluster,
                                              state=state, **options)
    if kind == Kind.DECOMMISSION:
        if options.pop("failed", False):
            options.pop("strategy", None)
            return failed_host.plan_failed_host(target, cluster=cluster, state=state,
                                                **options)
        return builders.plan_decommission(target, cluster=cluster, state=state, **options)
    if kind == Kind.REPLACE:
        return builders.plan_replace(target, new_host, cluster=cluster, state=state, **options)
    if kind == Kind.MAINTENANCE:
        return host_work.plan_rolling_maintenance(hosts_of(target), cluster=cluster,
                                                  state=state, **options)
    return builders.plan_add(target, cluster=cluster, state=state, **options)


def drained_by(kind: Kind, target: str) -> Callable[[ClusterState], tuple[int, ...]]:
    """Which OSDs a maintenance drains, given the cluster's state: none for an addition."""
    if kind == Kind.DISK and _is_osd(target):
        osd = osd_number(target)
        return lambda state: (osd,)
    if kind == Kind.DISK:
        # A DB device's OSDs are the inventory's to say: no projection for them here.
        return lambda state: ()
    if kind in (Kind.ADD, Kind.MAINTENANCE):
        return lambda state: ()
    return lambda state: state.osds_of(target)


def stopped_by(kind: Kind, target: str) -> Callable[[ClusterState], tuple[int, ...]] | None:
    """Which OSDs a maintenance stops without a drain (Ceph is asked if it may): a host's.

    A rolling maintenance of several hosts asks Ceph batch by batch, as it runs.
    """
    if kind == Kind.MAINTENANCE and len(hosts_of(target)) == 1:
        return lambda state: state.osds_of(target)
    return None


def hosts_of(target: str) -> list[str]:
    """The hosts a target names: one, or several separated by commas (a rolling maintenance)."""
    hosts = list(dict.fromkeys(h.strip() for h in target.split(",") if h.strip()))
    if not hosts:
        raise UnknownTarget(f"{target!r} names no host")
    return hosts


def cluster_of(inventory: Inventory, host: str, name: str | None = None) -> Cluster:
    """The cluster a host belongs to (or the named one)."""
    return _owner(inventory, name, f"host {host}",
                  lambda c: any(h.name == host for h in c.hosts))


def osd_number(text: str) -> int:
    """The id of "osd.5" or "5"."""
    digits = text.removeprefix("osd.")
    if not digits.isdigit():
        raise UnknownTarget(f"{text!r} is not an OSD (write osd.5 or 5)")
    return int(digits)


def _is_osd(text: str) -> bool:
    return text.removeprefix("osd.").isdigit()


def osd_cluster(inventory: Inventory, osd_id: int, name: str | None = None) -> Cluster:
    """The cluster an OSD belongs to (or the named one)."""
    return _owner(inventory, name, f"osd.{osd_id}",
                  lambda c: any(o.id == osd_id for o in c.osds))


def _owner(inventory: Inventory, name: str | None, what: str,
           holds: Callable[[Cluster], bool]) -> Cluster:
    if name is not None:
        return inventory.cluster(name)
    owners = [c for c in inventory.clusters if holds(c)]
    if len(owners) != 1:
        if not owners:
            raise UnknownTarget(f"{what} is in no cluster of the inventory")
        found = ", ".join(c.name for c in owners)
        raise UnknownTarget(f"{what} is in {found}: name the cluster with --cluster")
    return owners[0]
