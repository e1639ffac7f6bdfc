"""A small cluster like the sandbox (node0-2 with two OSDs each, spare node3), on paper.

Its inventory, and the state captured from a healthy sandbox (with a PG map written by hand
until one is captured), for tests that plan maintenances without a cluster.
"""

from __future__ import annotations

from pathlib import Path

from ceph_tasks.ceph import Ceph
from ceph_tasks.testing.fake_ceph import FakeCephClient
from inventory import Cluster, parse_inventory
from tests.support.pg_map_by_hand import healthy_pg_dump
from tests.support.service_daemons import daemon_answers
from workflows.snapshot import read_state
from workflows.state import ClusterState

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ceph"


def _host(name: str, rack: str, osds: int) -> str:
    devices = "".join(
        # 1 TiB each: the weight 1.0 of the captured sandbox's OSDs.
        f"\n          - {{path: /dev/sd{d}, serial: S-{name}-{d}, bay: '{i}', "
        f"size_bytes: {1 << 40}}}"
        for i, d in enumerate("bcd", 1))
    return f"""
      - name: {name}
        datacenter: DC1
        room: r1
        rack: {rack}
        ssh: {{address: {name}.example.net}}
        daemon_control: {{kind: systemd}}
        devices:{devices}"""


def _osds() -> str:
    rows = [f"\n      - {{id: {2 * h + i}, host: node{h}, device: /dev/sd{'bc'[i]}, "
            "device_class: hdd}" for h in range(3) for i in range(2)]
    return "".join(rows)


INVENTORY = f"""
clusters:
  - name: lab
    access: {{conf_path: /etc/ceph/lab.conf}}
    hosts:{''.join(_host(f'node{i}', f'R{i}', 2) for i in range(4))}
    osds:{_osds()}
"""


def lab_cluster() -> Cluster:
    """The cluster of INVENTORY."""
    return parse_inventory(INVENTORY, env={}).cluster("lab")


def healthy_state() -> ClusterState:
    """The state captured from a healthy sandbox."""
    client = FakeCephClient.from_fixtures(FIXTURES / "healthy")
    if "pg dump" not in client.answers:
        # The PG map is not captured yet: the hand-written one, checked against the capture.
        client.answer("pg dump", healthy_pg_dump())
    # As the default sandbox runs them: node0 holds the one monitor and the manager.
    for prefix, answer in daemon_answers(mons=("node0",), mgrs=("node0",)).items():
        client.answer(prefix, answer)
    return read_state(Ceph(client))
