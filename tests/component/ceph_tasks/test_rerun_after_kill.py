"""Every task killed at any of its I/O points and run again ends as if it had never been killed.

A worker can die anywhere: between two commands, after a command was sent but before the
ledger knew, after the ledger knew but before the command. Each case below runs a task
once undisturbed on a cluster that keeps its state (flags, group flags, pool flags, the
autoscaler, the balancer, CRUSH weights, OSDs out, down, purged or destroyed, buckets,
OSDs created on a host, disks wiped, daemons failed over, removed and stopped, a host's
boot id, monitoring downtimes), counting its I/O points: every change sent to Ceph, run on
a host or made in monitoring, and every ledger write. Then, for each point in turn, a
fresh cluster and ledger, the task killed right after that point, and the task run again
to its end: the cluster and the ledger's records end as in the undisturbed run, and no
change was sent twice (stopping or starting a daemon, or wiping a wiped disk, again
changes nothing and is allowed; a reboot killed between its sending and its record is
sent again, by design: a reboot never sent would hold forever).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.decisions.restoration import restorable_key
from ceph_tasks.ledger import Json, MemoryLedger
from ceph_tasks.monitoring import DowntimeBackend
from ceph_tasks.monitoring.backend import DowntimeRequest, DowntimeResult
from ceph_tasks.tasks.addition import add_node
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.downtime import set_downtime
from ceph_tasks.tasks.failed_disk import out_failed_osd
from ceph_tasks.tasks.flags import set_flags
from ceph_tasks.tasks.handover import add_daemons, hand_over_daemons
from ceph_tasks.tasks.host_work import run_on_host, stop_host_daemons
from ceph_tasks.tasks.pause import pause_movers
from ceph_tasks.tasks.removal import remove_node
from ceph_tasks.tasks.restore import restore
from ceph_tasks.tasks.reweight import reweight
from ceph_tasks.tasks.zap import zap_devices
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_downtimes import InMemoryDowntimes
from ceph_tasks.testing.fake_executor import FakeExecutor, FakeReply
from inventory import Inventory
from tests.component.ceph_tasks.test_data_movement_tasks import FIXTURES, REF, inventory
from tests.component.ceph_tasks.test_failed_disk_task import Failed
from tests.component.ceph_tasks.test_handover_task import WRITES as HANDOVER_WRITES
from tests.component.ceph_tasks.test_handover_task import Daemons, allowing
from tests.component.ceph_tasks.test_host_work_tasks import FakeHost
from tests.component.ceph_tasks.test_node_tasks import WRITES, FakeNodes
from tests.component.ceph_tasks.test_node_tasks import inventory as node_inventory

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Killed(BaseException):
    """The worker died here (nothing in a task catches it, as nothing catches SIGKILL)."""


@dataclass
class Deadline:
    """Kills the run right after its n-th I/O point (never when n is 0); counts them."""

    n: int = 0
    seen: int = 0

    def point(self) -> None:
        self.seen += 1
        if self.seen == self.n:
            raise Killed(f"killed after I/O point {self.n}")


class Ledger(MemoryLedger):
    """A memory ledger whose every write is an I/O point."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def remember(self, reference: str, key: str, value: Json) -> Json:
        stored = super().remember(reference, key, value)
        self.deadline.point()
        return stored

    def note(self, reference: str, key: str, value: Json) -> None:
        super().note(reference, key, value)
        self.deadline.point()

    def forget(self, reference: str, key: str) -> None:
        super().forget(reference, key)
        self.deadline.point()


@dataclass
class Cluster:
    """The captured healthy cluster, whose flags, movers and weights the commands change."""

    deadline: Deadline
    client: FakeCephClient = field(init=False)
    dump: dict[str, Any] = field(init=False)
    pools: list[dict[str, Any]] = field(init=False)
    tree: dict[str, Any] = field(init=False)
    balancer: dict[str, Any] = field(default_factory=lambda: {"active": True, "mode": "upmap"})

    def __post_init__(self) -> None:
        healthy = FIXTURES / "healthy"
        self.client = FakeCephClient.from_fixtures(healthy)
        self.dump = json.loads((healthy / "osd_dump.json").read_text())
        self.dump.setdefault("crush_node_flags", {})
        self.pools = json.loads((healthy / "osd_pool_ls_detail.json").read_text())
        for pool in self.pools:
            pool["pg_autoscale_mode"] = "on"
        self.tree = json.loads((healthy / "osd_tree.json").read_text())
        pg_dump = {"pg_ready": True, "pg_stats": [{"pgid": "1.0", "acting": [0, 2, 4],
                                                   "stat_sum": {"num_objects": 100}}]}
        reads = {"osd dump": lambda: self.dump, "osd pool ls": lambda: self.pools,
                 "osd tree": lambda: self.tree, "balancer status": lambda: self.balancer,
                 "pg dump": lambda: pg_dump}
        for prefix, read in reads.items():
            self.client.answer(prefix, lambda _, read=read: copy.deepcopy(read()))
        changes: dict[str, Callable[[dict[str, Any]], None]] = {
            "osd set": lambda a: self._flag(a["key"], True),
            "osd unset": lambda a: self._flag(a["key"], False),
            "osd set-group": lambda a: self._group(a["flags"], a["who"], True),
            "osd unset-group": lambda a: self._group(a["flags"], a["who"], False),
            "osd pool set": self._pool_set,
            "balancer off": lambda _: self.balancer.update(active=False),
            "balancer on": lambda _: self.balancer.update(active=True),
            "osd crush reweight": self._reweight,
        }
        for prefix, change in changes.items():
            self.client.answer(prefix, lambda command, change=change: change(dict(command.args)))
        counted(self.client, set(changes), self.deadline)

    def _flag(self, flag: str, on: bool) -> None:
        # Pacific prints the flags twice: a string and a list.
        flags = [f for f in self.dump["flags_set"] if f != flag] + ([flag] if on else [])
        self.dump["flags_set"], self.dump["flags"] = sorted(flags), ",".join(sorted(flags))

    def _group(self, flags: str, who: list[str], on: bool) -> None:
        for host in who:
            now = set(self.dump["crush_node_flags"].get(host, []))
            now = now | set(flags.split(",")) if on else now - set(flags.split(","))
            self.dump["crush_node_flags"][host] = sorted(now)

    def _pool_set(self, args: dict[str, Any]) -> None:
        if args["var"] == "pg_autoscale_mode":
            next(p for p in self.pools if p["pool_name"] == args["pool"])[
                "pg_autoscale_mode"] = args["val"]
            return
        pool = next(p for p in self.dump["pools"] if p["pool_name"] == args["pool"])
        flags = [f for f in pool["flags_names"].split(",") if f and f != args["var"]]
        pool["flags_names"] = ",".join([*flags, args["var"]] if args["val"] == "1" else flags)

    def _reweight(self, args: dict[str, Any]) -> None:
        node = next(n for n in self.tree["nodes"] if n["name"] == args["name"])
        node["crush_weight"] = args["weight"]

    def state(self) -> Any:
        """What the maintenance may have changed, comparable between runs."""
        return (self.dump["flags"], self.dump["crush_node_flags"],
                [(p["pool_name"], p["flags_names"]) for p in self.dump["pools"]],
                [(p["pool_name"], p["pg_autoscale_mode"]) for p in self.pools],
                self.balancer, [(n["id"], n.get("crush_weight")) for n in self.tree["nodes"]])


def counted(client: FakeCephClient, prefixes: set[str], deadline: Deadline) -> None:
    """Make each command of these prefixes an I/O point, right after it took effect."""
    for prefix in prefixes:
        answer = client.answers[prefix]

        def call(command: CephCommand, answer: Any = answer) -> Any:
            result = answer(command) if callable(answer) else copy.deepcopy(answer)
            deadline.point()
            return result
        client.answer(prefix, call)


@dataclass
class World:
    """What a task runs against: a cluster and hosts that keep their state."""

    client: FakeCephClient
    executor: FakeExecutor
    inventory: Inventory
    state: Callable[[], Any]
    #: The prefixes of the commands that change the cluster.
    changes: set[str]
    #: The monitoring systems a downtime is set on.
    monitoring: list[InMemoryDowntimes] = field(default_factory=list)

    def sent(self) -> Counter[str]:
        """Each change sent, by its arguments: Ceph commands and OSDs created on hosts.

        Stopping or starting a daemon twice changes nothing and is not counted.
        """
        return Counter([c.describe() for c in self.client.calls if c.prefix in self.changes]
                       + [" ".join(c.argv) for c in self.executor.calls
                          if c.argv[:3] == ("ceph-volume", "lvm", "create")])


def flags_world(deadline: Deadline) -> World:
    """The healthy cluster, its flags, movers and weights kept."""
    cluster = Cluster(deadline)
    return World(cluster.client, FakeExecutor(), inventory(), cluster.state,
                 {"osd set", "osd unset", "osd set-group", "osd unset-group", "osd pool set",
                  "balancer off", "balancer on", "osd crush reweight"})


def nodes_world(deadline: Deadline) -> World:
    """The healthy cluster with node2 drained and node3 racked empty; OSDs stop and appear,
    disks are wiped."""
    nodes = FakeNodes()
    counted(nodes.client, WRITES, deadline)
    executor = FakeExecutor()
    zapped: set[str] = set()

    def on_host(host: str, argv: tuple[str, ...]) -> FakeReply | None:
        reply = nodes.on_host(host, argv)
        if reply is not None:
            if argv[:3] == ("ceph-volume", "lvm", "zap"):
                zapped.add(argv[-1])
            deadline.point()
        return reply
    executor.reply_with(on_host)
    return World(nodes.client, executor, node_inventory(),
                 lambda: (copy.deepcopy(nodes.tree), sorted(zapped)), WRITES)


def failed_disk_world(deadline: Deadline) -> World:
    """The cluster with osd.0 down and in, its data recovered once it is out."""
    failed = Failed()
    failed.recovered = True
    counted(failed.client, {"osd out"}, deadline)
    return World(failed.client, FakeExecutor(), node_inventory(),
                 lambda: [(n["id"], n.get("reweight")) for n in failed.tree["nodes"]],
                 {"osd out"})


def handover_world(deadline: Deadline) -> World:
    """Monitors on node0-2, the manager and MDS active on node2; daemons fail over, stop,
    and start on a new host (a started monitor joins the quorum)."""
    daemons = Daemons()
    counted(daemons.client, set(HANDOVER_WRITES), deadline)
    executor = FakeExecutor()

    def systemctl(host: str, argv: tuple[str, ...]) -> FakeReply | None:
        if argv[:3] == ("systemctl", "disable", "--now"):
            stopped.add(f"{host} {argv[3]}")
        elif argv[:3] == ("systemctl", "enable", "--now"):
            kind, name = argv[3].removeprefix("ceph-").split("@")
            running = {"mon": daemons.mons, "mgr": daemons.mgrs, "mds": daemons.mds}[kind]
            if name not in running:  # starting a running unit again changes nothing
                running.append(name)
        elif argv[0] not in ("ceph", "ceph-mon", "rm", "install", "chown"):
            return None
        deadline.point()
        return FakeReply()
    stopped: set[str] = set()
    executor.reply_with(systemctl)
    return World(daemons.client, executor, allowing(2),
                 lambda: (daemons.mons, daemons.mgrs, daemons.mds, sorted(stopped)),
                 set(HANDOVER_WRITES))


def reboot_world(deadline: Deadline) -> World:
    """node1 reboots when told: its boot id changes. A kill between sending the reboot and
    recording it sends it again (a second reboot of a host in maintenance, at worst)."""
    hosts = FakeHost()
    executor = FakeExecutor()

    def on_host(host: str, argv: tuple[str, ...]) -> FakeReply | None:
        reply = hosts.on_host(host, argv)
        if argv == ("systemctl", "reboot"):
            hosts.boots += 1
            deadline.point()
        return reply
    executor.reply_with(on_host)
    return World(hosts.client, executor, node_inventory(), lambda: hosts.boots > 0, set())


def _run(task: Callable[[], Any]) -> Any:
    """Run a task to its end, as a worker would, through its repeats."""
    for _ in range(20):
        try:
            return task()
        except Retry:
            continue
    raise AssertionError("the task did not end in 20 runs")


def host_world(deadline: Deadline) -> World:
    """The healthy cluster whose hosts' OSD daemons stop and start as told."""
    hosts = FakeHost()
    executor = FakeExecutor()

    def on_host(host: str, argv: tuple[str, ...]) -> FakeReply | None:
        reply = hosts.on_host(host, argv)
        if reply is not None and argv[:1] == ("systemctl",):
            deadline.point()
        return reply
    executor.reply_with(on_host)
    return World(hosts.client, executor, node_inventory(),
                 lambda: [(n["id"], n.get("status")) for n in hosts.tree["nodes"]], set())


class Monitored(InMemoryDowntimes):
    """Downtimes kept in memory, each one set or lifted an I/O point."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__(name="alertmanager")
        self.deadline = deadline

    def set_downtime(self, request: DowntimeRequest) -> DowntimeResult:
        result = super().set_downtime(request)
        self.deadline.point()
        return result

    def remove_downtime(self, host: str, reference: str) -> int:
        removed = super().remove_downtime(host, reference)
        self.deadline.point()
        return removed


def monitoring_world(deadline: Deadline) -> World:
    """The healthy cluster and a monitoring system that keeps its downtimes."""
    world = flags_world(deadline)
    monitoring = Monitored(deadline)
    world.monitoring = [monitoring]
    world.state = lambda: sorted((d.host, d.comment, d.end) for d in
                                 monitoring.downtimes.values())
    return world


@dataclass
class MonitoredContext(TaskContext):
    """A context whose monitoring systems are the world's."""

    monitoring: list[InMemoryDowntimes] = field(default_factory=list)

    def downtimes(self, cluster: str) -> Sequence[DowntimeBackend]:
        self.cluster(cluster)
        return self.monitoring


PAUSE = {"flags": ["noscrub", "nodeep-scrub"], "pools": ["data", "device_health_metrics"]}
Task = Callable[[], Any]
#: Each task as a maintenance calls it: its world, what ran before it (undisturbed), itself.
CASES: dict[str, tuple[Callable[[Deadline], World], list[Task], Task]] = {
    "scrubs paused on pools": (flags_world, [],
                               lambda: set_flags(cluster="c1", reference=REF, **PAUSE)),
    "noout on a host": (flags_world, [], lambda: set_flags(
        cluster="c1", reference=REF, flags=["noout"], hosts=["node2"])),
    "noout cluster-wide": (flags_world, [], lambda: set_flags(
        cluster="c1", reference=REF, flags=["noout"])),
    "balancer and autoscaler paused": (flags_world, [], lambda: pause_movers(
        cluster="c1", reference=REF)),
    "a host drained": (flags_world, [], lambda: reweight(
        cluster="c1", reference=REF, host="node2", target=0)),
    "everything put back": (
        flags_world,
        [lambda: set_flags(cluster="c1", reference=REF, **PAUSE),
         lambda: set_flags(cluster="c1", reference=REF, flags=["noout"], hosts=["node2"]),
         lambda: pause_movers(cluster="c1", reference=REF)],
        lambda: restore(cluster="c1", reference=REF)),
    "a drained host removed": (nodes_world, [], lambda: remove_node(
        cluster="c1", host="node2", reference=REF)),
    "OSDs of a host destroyed, ids kept": (nodes_world, [], lambda: remove_node(
        cluster="c1", host="node2", reference=REF, mode="destroy")),
    "a removed host's disks wiped": (
        nodes_world, [lambda: remove_node(cluster="c1", host="node2", reference=REF)],
        lambda: zap_devices(cluster="c1", reference=REF, host="node2", osd_ids=[4, 5])),
    "a failed disk's OSD out": (failed_disk_world, [], lambda: out_failed_osd(
        cluster="c1", reference=REF, osd_id=0)),
    "a leaving host's daemons handed over": (handover_world, [], lambda: hand_over_daemons(
        cluster="c1", reference="decommission.node2", host="node2")),
    "a new host's daemons added": (handover_world, [], lambda: add_daemons(
        cluster="c1", reference="replace.node2", host="node3", kinds=["mon", "mgr", "mds"])),
    "a host rebooted": (reboot_world, [], lambda: run_on_host(
        cluster="c1", reference=REF, host="node1", reboot=True)),
    "OSDs created on a new host": (nodes_world, [], lambda: add_node(
        cluster="c1", host="node3", reference=REF)),
    "a host's OSDs stopped for its work": (host_world, [], lambda: stop_host_daemons(
        cluster="c1", reference=REF, host="node1")),
    "a host's monitoring downtime set": (monitoring_world, [], lambda: set_downtime(
        cluster="c1", host="node2", reference=REF, duration_s=3600, comment="replace")),
    "its downtime lifted by the restore": (
        monitoring_world, [lambda: set_downtime(cluster="c1", host="node2", reference=REF,
                                                duration_s=3600, comment="replace")],
        lambda: restore(cluster="c1", reference=REF, kinds=["downtimes"])),
    "its OSDs started again": (
        host_world, [lambda: stop_host_daemons(cluster="c1", reference=REF, host="node1")],
        lambda: restore(cluster="c1", reference=REF, kinds=["daemons"])),
}


def _fresh(task_app: Celery, deadline: Deadline, make: Callable[[Deadline], World],
           before: list[Task]) -> tuple[World, Ledger]:
    world, ledger = make(deadline), Ledger(deadline)
    install_context(task_app, MonitoredContext(
        inventory=world.inventory, ledger=ledger, executor=world.executor,
        ceph_factory=lambda _: world.client, now=lambda: NOW, monitoring=world.monitoring))
    n, deadline.n = deadline.n, 0  # what ran before is not killed
    for task in before:
        _run(task)
    deadline.n, deadline.seen = n, 0
    world.client.calls.clear()
    world.executor.calls.clear()
    return world, ledger


def _records(ledger: MemoryLedger) -> dict[str, Any]:
    return {k: v for k, v in ledger.entries(REF).items() if restorable_key(k)}


@pytest.mark.parametrize("case", list(CASES))
def test_a_task_killed_after_any_io_point_and_run_again_ends_as_undisturbed(
        task_app: Celery, case: str) -> None:
    make, before, task = CASES[case]
    deadline = Deadline()
    world, ledger = _fresh(task_app, deadline, make, before)
    untouched = copy.deepcopy(world.state())
    _run(task)
    points, undisturbed, records = deadline.seen, copy.deepcopy(world.state()), _records(ledger)
    assert points >= 2 and undisturbed != untouched, "the task changed nothing: nothing to prove"
    for n in range(1, points + 1):
        deadline = Deadline(n)
        world, ledger = _fresh(task_app, deadline, make, before)
        with pytest.raises(Killed):
            _run(task)
        deadline.n = 0
        _run(task)
        assert world.state() == undisturbed, f"{case}: killed after I/O point {n}"
        assert _records(ledger) == records, f"{case}: killed after I/O point {n}"
        twice = {c: k for c, k in world.sent().items() if k > 1}
        assert not twice, f"{case}: killed after I/O point {n}, sent twice: {twice}"
    install_context(task_app, None)
