"""Pinning remapped PGs and moving a host's copies once, on a fake cluster.

The fake starts from the snapshot captured just after spare-3.dc1's OSDs (6, 7) took
weight under norebalance, and applies upmap items as the monitors do; the data of a PG
moves at once to where its items send it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.decisions.upmaps import apply_items, raw_placement
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.upmap_moves import move_off, pin_placement, release_pins
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor
from inventory import Inventory

SNAPSHOT = Path(__file__).resolve().parents[2] / "fixtures" / "ceph" / "remapped_default"
REF = "replace.node2.test"
OLD, NEW = {4, 5}, {6, 7}


class Remapped:
    """The captured cluster; upmap items and flags that commands really change."""

    def __init__(self, dropped: frozenset[str] = frozenset()) -> None:
        self.client = FakeCephClient.from_fixtures(SNAPSHOT)
        self.dump: dict[str, Any] = json.loads((SNAPSHOT / "osd_dump.json").read_text())
        brief = json.loads((SNAPSHOT / "pg_dump_pgs_brief.json").read_text())
        self.pgs: list[dict[str, Any]] = brief["pg_stats"]
        for pg in self.pgs:
            if pg["up"] == pg["acting"]:  # peering when captured, done since
                pg["state"] = "active+clean"
        #: PGs whose items the monitors do not keep.
        self.dropped = dropped
        self.weights = {n["id"]: n["crush_weight"] for n in json.loads(
            (SNAPSHOT / "osd_tree.json").read_text())["nodes"] if n["id"] >= 0}
        self.client.answer("osd dump", lambda _: copy.deepcopy(self.dump))
        self.client.answer("pg dump", self._pg_dump)
        self.client.answer("osd pg-upmap-items", self._items)
        self.client.answer("osd rm-pg-upmap-items", self._items)
        self.client.answer("osd unset", self._unset)
        self.client.answer("osd perf", {"osdstats": {"osd_perf_infos": []}})

    def _pg_dump(self, command: CephCommand) -> Any:
        if command.args.get("dumpcontents") == ["pgs_brief"]:
            return {"pg_ready": True, "pg_stats": copy.deepcopy(self.pgs)}
        return {"pg_ready": True, "pg_stats": [
            {"pgid": p["pgid"], "acting": p["acting"], "up": p["up"], "state": p["state"],
             "stat_sum": {"num_objects": 8, "num_objects_recovered": 0,
                          "num_bytes_recovered": 0}} for p in self.pgs]}

    def items(self) -> dict[str, tuple[tuple[int, int], ...]]:
        return {e["pgid"]: tuple((m["from"], m["to"]) for m in e["mappings"])
                for e in self.dump["pg_upmap_items"]}

    def _items(self, command: CephCommand) -> None:
        pgid = command.args["pgid"]
        if pgid in self.dropped:
            return
        flat = command.args.get("id", [])
        after = tuple(zip(flat[::2], flat[1::2], strict=True))
        pg = next(p for p in self.pgs if p["pgid"] == pgid)
        raw = raw_placement(pg["up"], self.items().get(pgid, ()))
        up = list(apply_items(raw, after, self.weights))
        pg.update(up=up, acting=up, state="active+clean")
        self.dump["pg_upmap_items"] = [e for e in self.dump["pg_upmap_items"]
                                       if e["pgid"] != pgid]
        if after:
            self.dump["pg_upmap_items"].append({"pgid": pgid, "mappings": [
                {"from": a, "to": b} for a, b in after]})

    def _unset(self, command: CephCommand) -> None:
        self.dump["flags_set"] = [f for f in self.dump["flags_set"]
                                  if f != command.args["key"]]

    def sent(self, prefix: str) -> list[dict[str, Any]]:
        return [dict(c.args) for c in self.client.calls if c.prefix == prefix]


def inventory() -> Inventory:
    """The sandbox's hosts as the snapshot's CRUSH tree has them; cap of 4 moving PGs."""
    hosts = {"node0": (0, 1), "node1": (2, 3), "node2": (4, 5), "spare-3.dc1": (6, 7)}
    return Inventory.model_validate({"clusters": [{
        "name": "c1", "access": {"mon_hosts": ["127.0.0.1"]},
        "throttles": {"max_backfilling_pgs": 4, "step_interval_seconds": 1},
        "hosts": [{"name": name, "datacenter": "DC1", "room": "R1", "rack": "r1",
                   "ssh": {"address": f"127.0.9.{i + 1}"}, "daemon_control": {"kind": "systemd"},
                   "devices": [{"path": f"/dev/osd{o}"} for o in osds]}
                  for i, (name, osds) in enumerate(hosts.items())],
        "osds": [{"id": o, "host": name, "device": f"/dev/osd{o}", "device_class": "hdd"}
                 for name, osds in hosts.items() for o in osds],
    }]})


@pytest.fixture
def context(task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=inventory(), ledger=MemoryLedger(), executor=FakeExecutor(),
                      ceph_factory=lambda _: FakeCephClient())
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def on(context: TaskContext, cluster: Remapped) -> Remapped:
    context.ceph_factory = lambda _: cluster.client
    return cluster


def runs(task: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """Run a repeating task until it returns; how many runs it took and its result."""
    for number in range(1, 100):
        try:
            return number, task(**kwargs)
        except Retry:
            continue
    raise AssertionError(f"{task.name} did not end in 100 runs")


def test_remapped_pgs_are_pinned_where_their_data_is_then_our_norebalance_lifted(
        context: TaskContext) -> None:
    cluster = on(context, Remapped())
    remapped = {p["pgid"] for p in cluster.pgs if p["up"] != p["acting"]}
    context.ledger.remember(REF, "flag:cluster:norebalance", False)  # set by this maintenance

    count, result = runs(pin_placement, cluster="c1", reference=REF)

    assert {a["pgid"] for a in cluster.sent("osd pg-upmap-items")} == remapped
    assert all(p["up"] == p["acting"] for p in cluster.pgs)
    assert count == 4  # one run pinning, three looks finding nothing remapped
    assert result["norebalance_lifted"] and cluster.sent("osd unset") == [
        {"key": "norebalance"}]
    entries = context.ledger.entries(REF)
    assert {k for k in entries if k.startswith("upmap:")} == {f"upmap:{p}" for p in remapped}


def test_an_operator_s_norebalance_is_left_set(context: TaskContext) -> None:
    cluster = on(context, Remapped())
    context.ledger.remember(REF, "flag:cluster:norebalance", True)
    _, result = runs(pin_placement, cluster="c1", reference=REF)
    assert not result["norebalance_lifted"] and cluster.sent("osd unset") == []


def test_a_pin_the_monitors_drop_is_sent_once_and_named(context: TaskContext) -> None:
    remapped = sorted(p["pgid"] for p in Remapped().pgs if p["up"] != p["acting"])
    cluster = on(context, Remapped(dropped=frozenset(remapped[:1])))
    _, result = runs(pin_placement, cluster="c1", reference=REF)
    assert [a["pgid"] for a in cluster.sent("osd pg-upmap-items")].count(remapped[0]) == 1
    assert result["not_kept"] == remapped[:1]


def test_the_old_host_s_copies_move_to_the_new_host_in_batches_within_the_cap(
        context: TaskContext) -> None:
    cluster = on(context, Remapped())
    runs(pin_placement, cluster="c1", reference=REF)
    before = {p["pgid"]: set(p["acting"]) for p in cluster.pgs}
    pinned = len(cluster.sent("osd pg-upmap-items"))

    count, result = runs(move_off, cluster="c1", reference=REF, host="node2",
                         to_host="spare-3.dc1")

    assert result["done"] and result["pgs_left"] == 0
    # A PG whose pin held it off the new host is moved by removing its items.
    moves = cluster.sent("osd pg-upmap-items")[pinned:] + cluster.sent("osd rm-pg-upmap-items")
    moved = [p for p in cluster.pgs if before[p["pgid"]] & OLD]
    assert len(moves) == len(moved) and count == -(-len(moved) // 4) + 1
    for pg in moved:
        assert not set(pg["acting"]) & OLD
        assert len(set(pg["acting"]) - before[pg["pgid"]]) == len(before[pg["pgid"]] & OLD)
    # Run again (a re-delivered message): nothing left, nothing sent.
    assert move_off(cluster="c1", reference=REF, host="node2", to_host="spare-3.dc1")["done"]
    assert len(cluster.sent("osd pg-upmap-items")) + len(
        cluster.sent("osd rm-pg-upmap-items")) == pinned + len(moves)


def test_a_move_waits_while_pgs_are_not_clean(context: TaskContext) -> None:
    cluster = on(context, Remapped())
    runs(pin_placement, cluster="c1", reference=REF)
    sent = len(cluster.sent("osd pg-upmap-items"))
    cluster.pgs[0]["state"] = "active+recovering"
    with pytest.raises(Retry):
        move_off(cluster="c1", reference=REF, host="node2", to_host="spare-3.dc1")
    assert len(cluster.sent("osd pg-upmap-items")) == sent


def test_released_pins_send_each_pg_once_to_where_crush_puts_it_in_batches(
        context: TaskContext) -> None:
    cluster = on(context, Remapped())
    raw = {p["pgid"]: p["up"] for p in cluster.pgs}  # CRUSH's own choice, no items yet
    runs(pin_placement, cluster="c1", reference=REF)
    pinned = {e["pgid"] for e in cluster.dump["pg_upmap_items"]}

    count, result = runs(release_pins, cluster="c1", reference=REF, host="spare-3.dc1")

    assert result["done"] and cluster.dump["pg_upmap_items"] == []
    assert {a["pgid"] for a in cluster.sent("osd rm-pg-upmap-items")} == pinned
    assert len(cluster.sent("osd rm-pg-upmap-items")) == len(pinned)  # each once
    assert count == -(-len(pinned) // 4) + 1
    assert all(p["up"] == raw[p["pgid"]] == p["acting"] for p in cluster.pgs)
