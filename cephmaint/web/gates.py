"""The technician steps waiting across the fleet: where to go, which disks to pull, how long
the step has waited and what its gate said at its last look.

A wait is read from the recorded plan (the step's host, expected serials and devices; the
notify step's action), the inventory (the host's place and its disks' bays and serials),
the gate's progress note (`waiting_for`, `rejected`, `since`) and the latest confirmation
in the ledger. `wait_of` is pure; `waits_of` and `fleet_waits` read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ceph_tasks.decisions.restoration import locate_key
from ceph_tasks.decisions.technician_gate import Confirmation, confirmation_key
from ceph_tasks.names import TaskName
from ceph_tasks.notify.message import format_size
from ceph_tasks.tasks.base import progress_key
from cephmaint.web.backend import Maintenances
from dyrygent.handle import WorkflowHandle
from dyrygent.processor import task_id
from dyrygent.states import NodeState
from inventory import Inventory
from inventory.errors import UnknownNameError
from inventory.host import Host
from workflows.confirming import expected_serials, technician_steps


@dataclass(frozen=True)
class Disk:
    """A disk to pull, as its label and bay show it."""

    path: str
    bay: str
    serial: str
    size: str
    #: Its identify LED is lit (recorded by the maintenance's locate step).
    lit: bool = False


@dataclass(frozen=True)
class Wait:
    """One technician step waiting: the work, its place, and the gate's last word."""

    reference: str
    cluster: str
    step: str
    host: str
    #: Where the host is; empty when the inventory does not have it.
    datacenter: str = ""
    room: str = ""
    rack: str = ""
    #: What the technicians were asked to do (the notify step's action).
    action: str = ""
    disks: tuple[Disk, ...] = ()
    #: Whether disks are the given devices, or (False) every disk of the host.
    chosen: bool = False
    #: How many new disk serials the confirmation must carry (one form field each).
    expect: int = 0
    #: When the gate first looked, Unix seconds.
    since: float | None = None
    waiting_for: str = ""
    #: Why the gate turned the last confirmation down, at its last look.
    rejected: str = ""
    ticket_trouble: str = ""
    #: The confirmation the ledger holds now for this host, if any.
    confirmation: Confirmation | None = None

    def waited(self, now: float) -> float | None:
        """Seconds waited by now; None when the gate has not said since when."""
        return None if self.since is None else max(0.0, now - self.since)

    @property
    def rejection_is_current(self) -> bool:
        """Whether the rejection is about the confirmation held now (not an earlier one
        the gate turned down before a new one came)."""
        if not self.rejected:
            return False
        return self.confirmation is None or self.rejected.startswith(
            self.confirmation.describe())


def disks_of(host: Host | None, paths: Sequence[str], lit: Collection[str] = ()
             ) -> tuple[Disk, ...]:
    """The disks at paths (every disk of the host without paths), as the inventory has them;
    lit: the paths whose identify LED is lit."""
    if host is None:
        return tuple(Disk(p, "", "", "", p in lit) for p in paths)
    found = []
    for path in paths or [d.path for d in host.devices]:
        try:
            device = host.device(path)
        except UnknownNameError:
            found.append(Disk(path, "", "", "", path in lit))
            continue
        found.append(Disk(device.path, device.bay or "", device.serial or "",
                          format_size(device.size_bytes), device.path in lit))
    return tuple(found)


def wait_of(reference: str, cluster: str, step: Mapping[str, Any], *,
            progress: Mapping[str, Any], host: Host | None, action: str,
            confirmation: Confirmation | None, lit: Collection[str] = ()) -> Wait:
    """One waiting technician step, from its plan entry, the gate's progress and the
    inventory's host (None when the inventory does not have it); lit: the LEDs lit."""
    kwargs = step.get("kwargs", {})
    paths = [str(p) for p in kwargs.get("device_paths") or ()]
    return Wait(
        reference=reference, cluster=cluster, step=str(step["id"]),
        host=str(kwargs.get("host", "")),
        datacenter=host.datacenter if host else "", room=host.room if host else "",
        rack=host.rack if host else "", action=action, disks=disks_of(host, paths, lit),
        chosen=bool(paths), expect=expected_serials(step),
        since=_seconds(progress.get("since")),
        waiting_for=str(progress.get("waiting_for") or ""),
        rejected=str(progress.get("rejected") or ""),
        ticket_trouble=str(progress.get("ticket_trouble") or ""),
        confirmation=confirmation)


def waits_of(maintenances: Maintenances, reference: str,
             handle: WorkflowHandle | None = None) -> list[Wait]:
    """The technician steps of one maintenance that wait now."""
    plan = maintenances.plan(reference)
    steps = technician_steps(plan)
    if not steps:
        return []
    handle = handle or maintenances.handle(reference)
    if handle is None:
        return []
    ledger = maintenances.ledger
    store = handle.engine.store
    cluster = str(plan.get("cluster", ""))
    actions = {str(s["kwargs"].get("host")): str(s["kwargs"].get("action", ""))
               for s in plan.get("steps", ()) if s["task"] == TaskName.NOTIFY_TECHNICIANS}
    inventory = maintenances.inventory()
    found = []
    for step in steps:
        node = handle.node(str(step["id"]))
        if node["state"] != NodeState.RUNNING:
            continue
        index = store.index_of(reference, str(step["id"]))
        noted = ledger.recall(reference, progress_key(task_id(reference, index,
                                                               node["attempt"])))
        host = str(step["kwargs"].get("host", ""))
        lit = [str(p) for p in step["kwargs"].get("device_paths") or ()
               if ledger.recall(reference, locate_key(host, str(p))) is not None]
        found.append(wait_of(reference, cluster, step,
                             progress=noted if isinstance(noted, dict) else {},
                             host=_host(inventory, cluster, host), action=actions.get(host, ""),
                             confirmation=_confirmation(maintenances, reference, host),
                             lit=lit))
    return found


def fleet_waits(maintenances: Maintenances) -> list[Wait]:
    """Every technician step waiting in the fleet, the longest waiting first."""
    found = [wait for _, started in maintenances.started_everywhere()
             for wait in waits_of(maintenances, started.reference)]
    return sorted(found, key=lambda w: (w.since is None, w.since or 0.0, w.reference))


def _host(inventory: Inventory, cluster: str, host: str) -> Host | None:
    try:
        return inventory.cluster(cluster).host(host)
    except UnknownNameError:
        return None


def _confirmation(maintenances: Maintenances, reference: str, host: str
                  ) -> Confirmation | None:
    # As the gate reads it: the host's own, else one for the whole maintenance.
    ledger = maintenances.ledger
    raw = (ledger.recall(reference, confirmation_key(host))
           or ledger.recall(reference, confirmation_key(None)))
    try:
        return None if raw is None else Confirmation.from_json(raw)
    except ValueError:
        return None


def _seconds(stamp: Any) -> float | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(str(stamp)).timestamp()
    except ValueError:
        return None
