"""Remove-node and add-node task bodies, in-process, on a fake cluster whose tree changes.

What the sandbox does not show on demand: a stopped OSD the monitor still reports up (the
task runs again rather than purging), destroy mode, and a host whose new OSDs start at their
full size instead of weight 0.
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
from ceph_tasks.errors import HostKeyRejected, Refused, TaskFailed
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.addition import add_node
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.removal import remove_node
from ceph_tasks.tasks.zap import zap_devices
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor, FakeReply
from inventory import Inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
REF = "maint-nodes"
WRITES = {"osd out", "osd purge", "osd destroy", "osd crush rm", "osd crush reweight"}


def inventory() -> Inventory:
    hosts = {"node0": (0, 1), "node1": (2, 3), "node2": (4, 5), "node3": ()}
    return Inventory.model_validate({"clusters": [{
        "name": "c1",
        "access": {"mon_hosts": ["127.0.0.1"]},
        "hosts": [{"name": name, "datacenter": "DC1", "room": "R1", "rack": f"r{i}",
                   "ssh": {"address": f"127.0.9.{i + 1}"},
                   "daemon_control": {"kind": "systemd"},
                   "devices": [{"path": f"/dev/{name}-sd{d}", "serial": f"S{name}{d}",
                                "bay": d} for d in "bc"]}
                  for i, name in enumerate(hosts)],
        "osds": [{"id": osd, "host": name, "device": f"/dev/{name}-sd{'bc'[k]}",
                  "device_class": "hdd"}
                 for name, osds in hosts.items() for k, osd in enumerate(osds)],
    }]})


class FakeNodes:
    """The captured healthy cluster with node2 already emptied: out, weight 0, safe."""

    def __init__(self) -> None:
        self.client = FakeCephClient.from_fixtures(FIXTURES / "healthy")
        self.tree: dict[str, Any] = json.loads((FIXTURES / "healthy" / "osd_tree.json")
                                               .read_text())
        for osd in (4, 5):
            self.osd(osd).update(crush_weight=0, reweight=0)
        self.stop_marks_down = True
        self.initial_weight = 0.0
        c = self.client
        c.answer("osd tree", lambda _: copy.deepcopy(self.tree))
        c.answer("osd out", lambda cmd: [self.osd(int(i)).update(reweight=0)
                                         for i in cmd.args["ids"]] and None)
        c.answer("osd safe-to-destroy", lambda cmd: {"safe_to_destroy": cmd.args["ids"]})
        c.answer("osd purge", self._purge)
        c.answer("osd destroy", lambda cmd: self.osd(cmd.args["id"]).update(status="destroyed"))
        c.answer("osd crush rm", self._crush_rm)
        c.answer("osd crush reweight", lambda cmd: self.osd(
            int(cmd.args["name"].removeprefix("osd."))).update(crush_weight=cmd.args["weight"]))

    def osd(self, osd_id: int) -> dict[str, Any]:
        return next(n for n in self.tree["nodes"] if n["id"] == osd_id)

    def bucket(self, name: str) -> dict[str, Any] | None:
        return next((n for n in self.tree["nodes"] if n["name"] == name), None)

    def _purge(self, cmd: CephCommand) -> None:
        osd = cmd.args["id"]
        self.tree["nodes"] = [n for n in self.tree["nodes"] if n["id"] != osd]
        for node in self.tree["nodes"]:
            node["children"] = [c for c in node.get("children", []) if c != osd]

    def _crush_rm(self, cmd: CephCommand) -> None:
        bucket = self.bucket(cmd.args["name"])
        assert bucket is not None and not bucket["children"]
        self.tree["nodes"].remove(bucket)
        for node in self.tree["nodes"]:
            node["children"] = [c for c in node.get("children", []) if c != bucket["id"]]

    def on_host(self, host: str, argv: tuple[str, ...]) -> FakeReply | None:
        """systemctl stop and ceph-volume create, as a real host would do them."""
        if argv[:2] == ("systemctl", "stop"):
            if self.stop_marks_down:
                self.osd(int(argv[2].removeprefix("ceph-osd@"))).update(status="down")
            return FakeReply()
        if argv[:4] == ("ceph-volume", "lvm", "zap", "--destroy"):
            return FakeReply()
        if argv[:3] == ("ceph-volume", "lvm", "create"):
            osd = int(argv[argv.index("--osd-id") + 1])
            bucket = self.bucket(host)
            if bucket is None:
                bucket = {"id": -20, "name": host, "type": "host", "children": []}
                self.tree["nodes"].append(bucket)
                self.bucket("default")["children"].append(-20)  # type: ignore[index]
            bucket["children"].append(osd)
            self.tree["nodes"].append({"id": osd, "name": f"osd.{osd}", "type": "osd",
                                       "crush_weight": self.initial_weight, "status": "up",
                                       "reweight": 1, "device_class": "hdd"})
            return FakeReply(stdout="created\n")
        return None

    def writes(self) -> list[tuple[str, dict[str, Any]]]:
        return [(c.prefix, dict(c.args)) for c in self.client.calls if c.prefix in WRITES]


@pytest.fixture
def nodes() -> FakeNodes:
    return FakeNodes()


@pytest.fixture
def executor(nodes: FakeNodes) -> FakeExecutor:
    fake = FakeExecutor()
    fake.reply_with(nodes.on_host)
    return fake


@pytest.fixture
def context(nodes: FakeNodes, executor: FakeExecutor, task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=inventory(), ledger=MemoryLedger(), executor=executor,
                      ceph_factory=lambda _: nodes.client)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def test_purge_waits_for_the_monitor_to_see_stopped_osds_down(
        context: TaskContext, nodes: FakeNodes, executor: FakeExecutor) -> None:
    nodes.stop_marks_down = False
    with pytest.raises(Retry):
        remove_node(cluster="c1", host="node2", reference=REF)
    assert executor.commands_on("node2") == [("systemctl", "stop", "ceph-osd@4"),
                                             ("systemctl", "stop", "ceph-osd@5")]
    assert [w[0] for w in nodes.writes()] == []  # already out: nothing purged while up

    nodes.stop_marks_down = True
    done = remove_node(cluster="c1", host="node2", reference=REF)
    assert done["purged"] == [4, 5] and done["bucket_removed"]
    assert nodes.writes() == [
        ("osd purge", {"id": 4, "yes_i_really_mean_it": True}),
        ("osd purge", {"id": 5, "yes_i_really_mean_it": True}),
        ("osd crush rm", {"name": "node2"}),
    ]
    again = remove_node(cluster="c1", host="node2", reference=REF)
    assert again == {"cluster": "c1", "host": "node2", "mode": "purge", "osds": [4, 5],
                     "changed": False, "done": True}
    assert len(nodes.writes()) == 3


def test_destroy_keeps_the_ids_and_the_host_bucket(
        context: TaskContext, nodes: FakeNodes) -> None:
    done = remove_node(cluster="c1", host="node2", reference=REF, mode="destroy")
    assert done["destroyed"] == [4, 5] and done["bucket_removed"] is False
    assert nodes.osd(4)["status"] == nodes.osd(5)["status"] == "destroyed"
    assert nodes.bucket("node2") is not None
    writes = len(nodes.writes())
    assert remove_node(cluster="c1", host="node2", reference=REF, mode="destroy")[
        "changed"] is False
    assert len(nodes.writes()) == writes


def test_a_refused_removal_sends_only_reads(context: TaskContext, nodes: FakeNodes,
                                            executor: FakeExecutor) -> None:
    nodes.client.answer("osd safe-to-destroy",
                        {"safe_to_destroy": [], "active": [4, 5], "missing_stats": [],
                         "stored_pgs": []})
    with pytest.raises(Refused, match=r"osd\.4, osd\.5 still hold PGs"):
        remove_node(cluster="c1", host="node2", reference=REF)
    with pytest.raises(Refused, match="mode must be one of purge, destroy"):
        remove_node(cluster="c1", host="node2", reference=REF, mode="wipe")
    assert nodes.writes() == [] and executor.calls == []


def test_new_osds_that_start_at_full_weight_are_taken_back_to_zero(
        context: TaskContext, nodes: FakeNodes, executor: FakeExecutor) -> None:
    nodes.initial_weight = 0.25
    result = add_node(cluster="c1", host="node3", reference=REF)
    assert result["osds"] == result["created_this_run"] == [6, 7]
    assert executor.commands_on("node3") == [
        ("ceph-volume", "lvm", "create", "--data", "/dev/node3-sdb", "--osd-id", "6"),
        ("ceph-volume", "lvm", "create", "--data", "/dev/node3-sdc", "--osd-id", "7"),
    ]
    assert nodes.writes() == [("osd crush reweight", {"name": "osd.6", "weight": 0.0}),
                              ("osd crush reweight", {"name": "osd.7", "weight": 0.0})]
    again = add_node(cluster="c1", host="node3", reference=REF)
    assert again["created_this_run"] == [] and again["osds"] == [6, 7]
    assert len(executor.commands_on("node3")) == 2 and len(nodes.writes()) == 2


def test_devices_already_holding_their_osd_are_skipped(
        context: TaskContext, nodes: FakeNodes, executor: FakeExecutor) -> None:
    result = add_node(cluster="c1", host="node1", reference=REF)
    assert result["created_this_run"] == [] and result["skipped"] == {
        "/dev/node1-sdb": 2, "/dev/node1-sdc": 3}
    assert executor.calls == []
    with pytest.raises(Refused, match="not data disks in the inventory of host node3"):
        add_node(cluster="c1", host="node3", reference=REF, devices=["/dev/sdz"])


def test_the_removed_osds_devices_are_zapped_each_recorded_with_its_serial_first(
        context: TaskContext, nodes: FakeNodes, executor: FakeExecutor) -> None:
    remove_node(cluster="c1", host="node2", reference=REF)
    done = zap_devices(cluster="c1", reference=REF, host="node2", osd_ids=[4, 5])
    zaps = [a for a in executor.commands_on("node2") if a[:3] == ("ceph-volume", "lvm", "zap")]
    assert zaps == [("ceph-volume", "lvm", "zap", "--destroy", "/dev/node2-sdb"),
                    ("ceph-volume", "lvm", "zap", "--destroy", "/dev/node2-sdc")]
    assert [z["serial"] for z in done["zapped"]] == ["Snode2b", "Snode2c"]
    record = context.ledger.recall(REF, "zap:node2:/dev/node2-sdb")
    assert record["osd"] == 4 and record["serial"] == "Snode2b"


def test_a_device_still_backing_an_osd_in_the_map_is_not_zapped(
        context: TaskContext, nodes: FakeNodes, executor: FakeExecutor) -> None:
    with pytest.raises(Refused, match=r"/dev/node2-sdb still backs osd\.4"):
        zap_devices(cluster="c1", reference=REF, host="node2", osd_ids=[4, 5])
    assert executor.commands_on("node2") == []
    assert not [k for k in context.ledger.entries(REF) if k.startswith("zap:")]
    with pytest.raises(Refused, match=r"places osd\.9 on no device of node2"):
        zap_devices(cluster="c1", reference=REF, host="node2", osd_ids=[9])


def test_a_host_that_stops_answering_over_ssh_is_waited_for_and_the_removal_goes_on(
        context: TaskContext, nodes: FakeNodes, executor: FakeExecutor) -> None:
    executor.make_unreachable("node2")
    with pytest.raises(Retry):
        remove_node(cluster="c1", host="node2", reference=REF)
    assert executor.commands_on("node2") == [("systemctl", "stop", "ceph-osd@4")]
    assert nodes.writes() == []  # nothing purged while its daemons may still run

    executor.make_reachable("node2")
    done = remove_node(cluster="c1", host="node2", reference=REF)
    assert done["purged"] == [4, 5] and done["stopped"] == [4, 5]


def test_a_host_whose_ssh_key_changed_fails_the_removal_at_once(
        context: TaskContext, nodes: FakeNodes, executor: FakeExecutor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def rejected(*_: object, **__: object) -> None:
        raise HostKeyRejected("node2", "10.0.0.12", 22, "the host key differs from known_hosts")
    monkeypatch.setattr(executor, "run", rejected)
    with pytest.raises(TaskFailed, match="host key differs"):
        remove_node(cluster="c1", host="node2", reference=REF)
    assert nodes.writes() == []
