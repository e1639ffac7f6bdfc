"""Small valid inventories for tests, as YAML text and as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "examples" / "example.yaml"

EXAMPLE_ENV = {
    "ICINGA_PASSWORD": "icinga-pass-123",
    "CHAT_WEBHOOK_URL": "https://chat.example.net/hooks/T000/B000/secret",
    "TICKET_TOKEN": "ticket-token-456",
}

# Line numbers in tests refer to this text: keep it stable.
SMALL = """\
clusters:
  - name: lab
    access:
      conf_path: /etc/ceph/lab.conf
    hosts:
      - name: node0
        datacenter: DC1
        room: r1
        rack: A1
        ssh:
          address: 127.77.0.10
          port: 2222
        daemon_control:
          kind: systemd
        devices:
          - path: /dev/sdb
            serial: S0
    osds:
      - id: 0
        host: node0
        device: /dev/sdb
        device_class: hdd
"""


def host_data(name: str, address: str, devices: tuple[str, ...] = ("/dev/sdb",)) -> dict[str, Any]:
    """Plain data of a valid host."""
    return {
        "name": name,
        "datacenter": "DC1",
        "room": "r1",
        "rack": "A1",
        "ssh": {"address": address},
        "daemon_control": {"kind": "systemd"},
        "devices": [{"path": path} for path in devices],
    }


def cluster_data(name: str = "lab") -> dict[str, Any]:
    """Plain data of a valid cluster with two hosts and one OSD each."""
    return {
        "name": name,
        "access": {"conf_path": "/etc/ceph/ceph.conf"},
        "hosts": [host_data("node0", "127.0.0.10"), host_data("node1", "127.0.0.11")],
        "osds": [
            {"id": 0, "host": "node0", "device": "/dev/sdb", "device_class": "hdd"},
            {"id": 1, "host": "node1", "device": "/dev/sdb", "device_class": "hdd"},
        ],
    }


def dump(data: Any) -> str:
    """YAML text of plain data."""
    return yaml.safe_dump(data, sort_keys=False)
