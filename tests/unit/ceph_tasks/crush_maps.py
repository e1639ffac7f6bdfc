"""Captured and hand-built CRUSH trees, pools and rules for the guards' unit tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.models import CrushRule, OsdTree, Pool, parse_list

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"


def captured(state: str, name: str) -> Any:
    """The JSON a command printed on the sandbox in a captured state."""
    return json.loads((FIXTURES / state / f"{name}.json").read_text())


def captured_tree(state: str) -> OsdTree:
    return OsdTree.model_validate(captured(state, "osd_tree"))


def captured_pools(state: str) -> tuple[Pool, ...]:
    return parse_list(Pool, captured(state, "osd_pool_ls_detail"), "pools")


def captured_rules(state: str) -> tuple[CrushRule, ...]:
    return parse_list(CrushRule, captured(state, "osd_crush_rule_dump"), "rules")


#: An OSD as (id, crush weight) or (id, crush weight, {extra tree fields}).
OsdSpec = tuple[int, float] | tuple[int, float, dict[str, Any]]


def tree(layout: Mapping[str, Mapping[str, Sequence[OsdSpec]]], root: str = "default",
         bucket: str = "rack") -> OsdTree:
    """A tree root -> buckets (racks) -> hosts -> OSDs, up and in unless told otherwise."""
    nodes: list[dict[str, Any]] = []
    next_id = -2
    racks: list[int] = []
    for rack_name, hosts in layout.items():
        rack_id, next_id = next_id, next_id - 1
        racks.append(rack_id)
        host_ids: list[int] = []
        for host_name, osds in hosts.items():
            host_id, next_id = next_id, next_id - 1
            host_ids.append(host_id)
            nodes.append({"id": host_id, "name": host_name, "type": "host",
                          "children": [o[0] for o in osds]})
            for spec in osds:
                extra = spec[2] if len(spec) == 3 else {}
                nodes.append({"id": spec[0], "name": f"osd.{spec[0]}", "type": "osd",
                              "crush_weight": spec[1], "status": "up", "reweight": 1.0,
                              "device_class": "hdd", **extra})
        nodes.append({"id": rack_id, "name": rack_name, "type": bucket, "children": host_ids})
    nodes.append({"id": -1, "name": root, "type": "root", "children": racks})
    return OsdTree.model_validate({"nodes": nodes, "stray": []})


def pool(name: str, size: int, rule: int = 0, erasure: bool = False) -> Pool:
    return Pool(pool_id=abs(hash(name)) % 100, pool_name=name, type=3 if erasure else 1,
                size=size, min_size=max(size - 1, 1), crush_rule=rule)


def rule(rule_id: int, name: str, root: str, *chooses: tuple[str, int, str]) -> CrushRule:
    """A rule: take root, then (op, num, type) choose steps, then emit."""
    steps: list[dict[str, Any]] = [{"op": "take", "item": -1, "item_name": root}]
    steps += [{"op": op, "num": num, "type": kind} for op, num, kind in chooses]
    steps.append({"op": "emit"})
    return CrushRule.model_validate({"rule_id": rule_id, "rule_name": name, "steps": steps})
