"""Wiping the devices of removed OSDs so that they can be reused (pure).

A zap destroys whatever the device holds: it is refused while any OSD the inventory places
on the device is still in the OSD map and not destroyed, and recorded in the ledger, with
the device's serial, before it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ceph_tasks.ceph.models import OsdTree

#: Ledger key prefix of a device a maintenance zapped.
LEDGER_PREFIX = "zap"


def zap_key(host: str, device: str) -> str:
    """The ledger key recording the zap of a device of a host."""
    return f"{LEDGER_PREFIX}:{host}:{device}"


def live_users(tree: OsdTree, users: Mapping[str, Sequence[int]]) -> list[str]:
    """The devices still backing an OSD in the map (up, down or out, not destroyed)."""
    nodes = {n.id: n for n in tree.osds()}
    problems = []
    for device, osds in users.items():
        live = [o for o in osds if o in nodes and nodes[o].status != "destroyed"]
        if live:
            problems.append(f"{device} still backs {', '.join(f'osd.{o}' for o in live)}")
    return problems
