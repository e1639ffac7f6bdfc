"""Which devices of a host get a new OSD, and with which id (pure).

`ceph-volume lvm create --data DEV` without `--osd-id` asks the monitors for an id (`osd new`,
which takes the lowest free one); with `--osd-id N` it reuses N when N is destroyed or does
not exist at all. cephmaint always passes the id: it picks the lowest id that is neither in
the osdmap nor reserved by this maintenance, and records it in the ledger before creating,
so that a run interrupted mid-creation creates the same OSD again rather than a second one.
If someone else takes that id meanwhile, `osd new` refuses it (the uuid does not match) and
the step fails loudly instead of creating a duplicate. A device whose inventory OSD was
destroyed (a disk replacement) gets that OSD's id back, as `ceph orch osd rm --replace` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ceph_tasks.ceph.models import OsdTree
from ceph_tasks.decisions.removal_plan import DESTROYED

#: Ledger key prefix of the OSD id reserved for a device: "new-osd:<host>:<device>".
LEDGER_PREFIX = "new-osd"


class DeviceState(StrEnum):
    """What a device needs."""

    CREATE = "create"
    #: It holds a live OSD under the host already: skipped.
    HOLDS_OSD = "holds_osd"
    #: Its reserved id now belongs to an OSD elsewhere: refused, a person must look.
    CONFLICT = "conflict"


@dataclass(frozen=True)
class DevicePlan:
    """One device, the OSD id it holds or will hold, and what to do."""

    device: str
    osd_id: int
    state: DeviceState
    #: The id was reserved by an earlier run of this maintenance (not newly picked).
    reserved: bool = False


def ledger_key(host: str, device: str) -> str:
    """The ledger key under which the id reserved for a device is kept."""
    return f"{LEDGER_PREFIX}:{host}:{device}"


def reserved_ids(entries: Mapping[str, object]) -> dict[str, int]:
    """The ids this maintenance reserved, by ledger key (every host)."""
    return {key: value for key, value in entries.items()
            if key.startswith(f"{LEDGER_PREFIX}:") and isinstance(value, int)}


def plan_devices(tree: OsdTree, host: str, devices: Sequence[str],
                 inventory_osds: Mapping[str, int],
                 reservations: Mapping[str, int]) -> tuple[DevicePlan, ...]:
    """Plan each device: skip it, create an OSD on it (with which id), or report a conflict.

    inventory_osds maps the host's devices to the OSD the inventory puts there;
    reservations maps ledger keys (see ledger_key) to ids this maintenance reserved.
    """
    under_host = tree.hosts().get(host, frozenset())
    status = {n.id: n.status for n in tree.osds()}
    taken = set(status) | set(reservations.values())
    plans: list[DevicePlan] = []
    for device in devices:
        reserved = reservations.get(ledger_key(host, device))
        listed = inventory_osds.get(device)
        if reserved is not None:
            plans.append(DevicePlan(device, reserved, _state(reserved, under_host, status),
                                    reserved=True))
        elif listed is not None and listed in under_host and status[listed] != DESTROYED:
            plans.append(DevicePlan(device, listed, DeviceState.HOLDS_OSD))
        elif listed is not None and listed in under_host:
            plans.append(DevicePlan(device, listed, DeviceState.CREATE))
        else:
            new_id = lowest_free(taken)
            taken.add(new_id)
            plans.append(DevicePlan(device, new_id, DeviceState.CREATE))
    return tuple(plans)


def lowest_free(taken: Iterable[int]) -> int:
    """The lowest OSD id not taken, as the monitors would pick it."""
    used = set(taken)
    return next(i for i in range(len(used) + 1) if i not in used)


def _state(osd_id: int, under_host: frozenset[int], status: Mapping[int, str | None]
           ) -> DeviceState:
    if osd_id not in status or (osd_id in under_host and status[osd_id] == DESTROYED):
        return DeviceState.CREATE
    return DeviceState.HOLDS_OSD if osd_id in under_host else DeviceState.CONFLICT
