"""Inventory hosts and technician messages for notification tests."""

from __future__ import annotations

from ceph_tasks.notify.message import TechnicianMessage, build_message
from inventory.host import Device, Host, SshAccess, SystemdControl


def a_host() -> Host:
    """node2 in DC1, room R2, rack A7, with two located disks and one unlabelled."""
    return Host(
        name="node2",
        datacenter="DC1",
        room="R2",
        rack="A7",
        ssh=SshAccess(address="127.0.0.12"),
        daemon_control=SystemdControl(),
        devices=(
            Device(path="/dev/sdb", serial="ZA1B2C3D", bay="3", size_bytes=4_000_787_030_016),
            Device(path="/dev/sdc", serial="ZA9Y8X7W", bay="4", size_bytes=4_000_787_030_016),
            Device(path="/dev/sdd"),
        ),
    )


def a_message(reference: str = "wf-42-node2") -> TechnicianMessage:
    """A disk replacement request for /dev/sdb of node2."""
    return build_message(
        cluster="prod-ams", host=a_host(), action="Replace failed disk",
        reference=reference, device_paths=("/dev/sdb",),
    )
