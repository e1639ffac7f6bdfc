"""A paper cluster over racks, device classes and several pools; every answer written by hand.

    rack r1: a1 (osd.0 hdd, osd.1 ssd), a2 (osd.2 hdd)
    rack r2: b1 (osd.3 hdd, osd.4 ssd)
    rack r3: c1 (osd.5 hdd, osd.6 ssd)
    rack r4: d1 (osd.7 hdd)

Pools: rbd (size 3, one copy per rack, hdd), fast (size 3, one copy per host, ssd: only a1,
b1 and c1 have ssd OSDs), ec (erasure-coded 2+2, one chunk per host, hdd). The answers
have the shapes a Pacific cluster prints (`osd tree`, `osd df`, `osd pool ls detail`,
`osd crush rule dump`, `pg dump pgs_brief`); the PG map places every copy as the rules
ask, each OSD's kb_used is 1 MiB per rbd copy, 512 KiB per fast copy, 256 KiB per ec chunk.
"""

from __future__ import annotations

import json
from typing import Any

from ceph_tasks.ceph import Ceph
from ceph_tasks.testing.fake_ceph import FakeCephClient
from inventory import Cluster, parse_inventory
from tests.support.lab import FIXTURES
from tests.support.service_daemons import daemon_answers
from workflows.snapshot import read_state
from workflows.state import ClusterState

#: rack -> host -> [(osd id, device class)]
LAYOUT: dict[str, dict[str, list[tuple[int, str]]]] = {
    "r1": {"a1": [(0, "hdd"), (1, "ssd")], "a2": [(2, "hdd")]},
    "r2": {"b1": [(3, "hdd"), (4, "ssd")]},
    "r3": {"c1": [(5, "hdd"), (6, "ssd")]},
    "r4": {"d1": [(7, "hdd")]},
}
RBD, FAST, EC = 5, 6, 7
#: pool id -> (name, size, rule id, erasure, KiB per copy)
POOLS: dict[int, tuple[str, int, int, bool, int]] = {
    RBD: ("rbd", 3, 1, False, 1024),
    FAST: ("fast", 3, 2, False, 512),
    EC: ("ec", 4, 3, True, 256),
}
#: PG id -> up and acting set, primary first.
PGS: dict[str, tuple[int, ...]] = {
    "5.0": (0, 3, 5), "5.1": (3, 5, 7), "5.2": (2, 5, 7), "5.3": (7, 0, 3),
    "5.4": (5, 7, 2), "5.5": (3, 2, 7), "5.6": (0, 5, 7), "5.7": (3, 5, 0),
    "6.0": (1, 4, 6), "6.1": (4, 6, 1), "6.2": (6, 1, 4), "6.3": (1, 6, 4),
    "7.0": (0, 3, 5, 7), "7.1": (2, 3, 5, 7), "7.2": (0, 2, 5, 7), "7.3": (0, 2, 3, 5),
}


def _rule(rule_id: int, name: str, root: str, op: str, domain: str) -> dict[str, Any]:
    take = {"op": "take", "item": -1, "item_name": root}
    return {"rule_id": rule_id, "rule_name": name, "ruleset": rule_id, "type": 1,
            "min_size": 1, "max_size": 10,
            "steps": [take, {"op": op, "num": 0, "type": domain}, {"op": "emit"}]}


RULES = [
    _rule(1, "rbd_rack", "default~hdd", "chooseleaf_firstn", "rack"),
    _rule(2, "fast_ssd", "default~ssd", "chooseleaf_firstn", "host"),
    _rule(3, "ec_hdd", "default~hdd", "chooseleaf_indep", "host"),
]


def _tree() -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    next_id = -2
    racks = []
    for rack, hosts in LAYOUT.items():
        rack_id, next_id = next_id, next_id - 1
        racks.append(rack_id)
        host_ids = []
        for host, osds in hosts.items():
            host_id, next_id = next_id, next_id - 1
            host_ids.append(host_id)
            nodes.append({"id": host_id, "name": host, "type": "host", "type_id": 1,
                          "children": [i for i, _ in osds]})
            nodes += [{"id": i, "device_class": c, "name": f"osd.{i}", "type": "osd",
                       "type_id": 0, "crush_weight": 1, "depth": 3, "exists": 1,
                       "status": "up", "reweight": 1, "primary_affinity": 1}
                      for i, c in osds]
        nodes.append({"id": rack_id, "name": rack, "type": "rack", "type_id": 3,
                      "children": host_ids})
    nodes.append({"id": -1, "name": "default", "type": "root", "type_id": 11,
                  "children": racks})
    return {"nodes": nodes, "stray": []}


def kib_on(osd: int) -> int:
    """KiB used on an OSD: the sum of its copies' sizes."""
    return sum(POOLS[int(pgid.split(".")[0])][4] for pgid, osds in PGS.items() if osd in osds)


def _df() -> dict[str, Any]:
    osds = [(i, c) for hosts in LAYOUT.values() for host in hosts.values() for i, c in host]
    return {"nodes": [{"id": i, "device_class": c, "name": f"osd.{i}", "type": "osd",
                       "crush_weight": 1, "reweight": 1, "kb": 1 << 30, "kb_used": kib_on(i),
                       "kb_avail": (1 << 30) - kib_on(i), "utilization": 0.1,
                       "pgs": sum(i in s for s in PGS.values()), "status": "up"}
                      for i, c in osds],
            "stray": [], "summary": {"total_kb": 8 << 30}}


def _pools() -> list[dict[str, Any]]:
    return [{"pool_id": pid, "pool_name": name, "type": 3 if erasure else 1, "size": size,
             "min_size": size - 1, "crush_rule": rule,
             "pg_num": sum(p.startswith(f"{pid}.") for p in PGS),
             "erasure_code_profile": "k2m2" if erasure else ""}
            for pid, (name, size, rule, erasure, _) in POOLS.items()]


def _pg_dump() -> dict[str, Any]:
    return {"pg_ready": True, "pg_stats": [
        {"pgid": pgid, "state": "active+clean", "up": list(osds), "up_primary": osds[0],
         "acting": list(osds), "acting_primary": osds[0]} for pgid, osds in PGS.items()]}


def answers() -> dict[str, Any]:
    """The cluster's answers by command prefix, as FakeCephClient takes them."""
    status = json.loads((FIXTURES / "healthy" / "status.json").read_text())
    return {"status": status, "osd tree": _tree(), "osd df": _df(), "osd pool ls": _pools(),
            "osd crush rule dump": RULES, "pg dump": _pg_dump(),
            # Monitors, a manager and its standby, away from the hosts tests retire.
            **daemon_answers(mons=("a1", "b1"), mgrs=("a1", "b1"))}


def rack_state() -> ClusterState:
    """The state of the rack cluster, read through the same path as a live one."""
    return read_state(Ceph(FakeCephClient(answers())))


def _inventory() -> str:
    hosts, osds = [], []
    for rack, members in LAYOUT.items():
        for host, host_osds in members.items():
            devices = "".join(f"\n          - {{path: /dev/sd{'bcd'[n]}, serial: S-{host}-{n}, "
                              f"bay: '{n}'}}" for n in range(3))
            hosts.append(f"""
      - name: {host}
        datacenter: DC1
        room: r1
        rack: {rack}
        ssh: {{address: {host}.example.net}}
        daemon_control: {{kind: systemd}}
        devices:{devices}""")
            osds += [f"\n      - {{id: {i}, host: {host}, device: /dev/sd{'bcd'[n]}, "
                     f"device_class: {c}}}" for n, (i, c) in enumerate(host_osds)]
    return f"""
clusters:
  - name: racks
    access: {{conf_path: /etc/ceph/racks.conf}}
    failure_domain_type: rack
    hosts:{''.join(hosts)}
    osds:{''.join(osds)}
"""


def rack_cluster() -> Cluster:
    """The inventory of the rack cluster."""
    return parse_inventory(_inventory(), env={}).cluster("racks")
