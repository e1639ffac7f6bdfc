"""Inventory hosts for unit tests of the SSH side."""

from __future__ import annotations

from typing import Any

from inventory import Host


def make_host(control: dict[str, Any] | None = None, **ssh: Any) -> Host:
    """A valid host named stor01 with two devices; ssh keywords override its access."""
    return Host.model_validate({
        "name": "stor01", "datacenter": "DC1", "room": "r1", "rack": "A1",
        "ssh": {"address": "192.0.2.11", "port": 2222, **ssh},
        "daemon_control": control or {"kind": "systemd"},
        "devices": [{"path": "/dev/sdb"}, {"path": "/dev/disk/by-id/wwn-0x5000c5"}],
    })
