"""A host's work without a drain, task by task, on a fake cluster and fake hosts.

What the sandbox cannot show on demand: an OSD already down refused, a reboot whose host is
unreachable for a while, a command run once though its message came twice, and a host that
cannot start its daemons keeping its noout.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.decisions.flag_plan import FlagTarget
from ceph_tasks.errors import Refused, TaskFailed
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.notify import TechnicianNotifier
from ceph_tasks.tasks.base import progress_key
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.host_work import run_on_host, stop_host_daemons, wait_host_back
from ceph_tasks.tasks.restore import restore
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor, FakeReply
from ceph_tasks.testing.fake_notify import InMemoryNotifier
from tests.component.ceph_tasks.test_node_tasks import inventory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ceph"
REF = "maint-host"
BOOT_ID = ("cat", "/proc/sys/kernel/random/boot_id")


class FakeHost:
    """The healthy cluster; node1's daemons stop and start, and it reboots, as told."""

    def __init__(self) -> None:
        self.client = FakeCephClient.from_fixtures(FIXTURES / "healthy")
        self.tree: dict[str, Any] = json.loads((FIXTURES / "healthy" / "osd_tree.json")
                                               .read_text())
        self.boots = 0
        self.reboots_sent = 0
        self.recovered = 100
        self.starts_fail = False
        self.client.answer("osd tree", lambda _: copy.deepcopy(self.tree))
        self.client.answer("pg dump", lambda _: {"pg_stats": [
            {"pgid": "1.0", "acting": [2, 4], "stat_sum": {"num_objects": 30,
                                                            "num_objects_recovered": 0}},
            {"pgid": "1.1", "acting": [0, 3], "stat_sum": {
                "num_objects": 20, "num_objects_recovered": self.recovered}}]})

    def osd(self, osd_id: int) -> dict[str, Any]:
        return next(n for n in self.tree["nodes"] if n["id"] == osd_id)

    def on_host(self, host: str, argv: tuple[str, ...]) -> FakeReply | None:
        if argv[:2] == ("systemctl", "stop"):
            self.osd(int(argv[2].removeprefix("ceph-osd@"))).update(status="down")
            return FakeReply()
        if argv[:2] == ("systemctl", "start"):
            if self.starts_fail:
                return FakeReply(exit_status=1, stderr="unit failed")
            self.osd(int(argv[2].removeprefix("ceph-osd@"))).update(status="up")
            return FakeReply()
        if argv == BOOT_ID:
            return FakeReply(stdout=f"boot-{self.boots}\n")
        if argv == ("systemctl", "reboot"):
            self.reboots_sent += 1  # the host goes down a little later: boots moves then
            return FakeReply(exit_status=-1, stderr="connection closed")
        return None


@pytest.fixture
def hosts() -> FakeHost:
    return FakeHost()


@pytest.fixture
def executor(hosts: FakeHost) -> FakeExecutor:
    fake = FakeExecutor()
    fake.reply_with(hosts.on_host)
    return fake


@pytest.fixture
def ledger() -> MemoryLedger:
    return MemoryLedger()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ChannelsContext(TaskContext):
    """A context whose notification channels are in memory."""

    channels: list[InMemoryNotifier] = field(default_factory=list)

    def notifiers(self, cluster: str) -> Sequence[TechnicianNotifier]:
        self.cluster(cluster)
        return self.channels


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def context(hosts: FakeHost, executor: FakeExecutor, ledger: MemoryLedger, clock: Clock,
            task_app: Celery) -> Iterator[ChannelsContext]:
    ctx = ChannelsContext(inventory=inventory(), ledger=ledger, executor=executor,
                          ceph_factory=lambda _: hosts.client, now=clock,
                          channels=[InMemoryNotifier()])
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def test_each_daemon_is_recorded_before_it_stops_and_the_restore_starts_it_again(
        context: TaskContext, hosts: FakeHost, executor: FakeExecutor,
        ledger: MemoryLedger) -> None:
    done = stop_host_daemons(cluster="c1", reference=REF, host="node1")
    assert done["stopped"] == ["osd.2", "osd.3"]
    assert executor.commands_on("node1") == [("systemctl", "stop", "ceph-osd@2"),
                                             ("systemctl", "stop", "ceph-osd@3")]
    held = ledger.recall(REF, "host-held:node1")
    assert {k: held[k] for k in ("copies", "recovered")} == {"copies": 50, "recovered": 100}
    started = restore(cluster="c1", reference=REF, kinds=["daemons"])
    assert started["started"] == ["osd.2", "osd.3"]
    assert hosts.osd(2)["status"] == hosts.osd(3)["status"] == "up"
    assert not [k for k in ledger.entries(REF) if k.startswith("daemon-stopped")]


def test_an_osd_down_before_the_work_is_refused_and_nothing_is_stopped(
        context: TaskContext, hosts: FakeHost, executor: FakeExecutor,
        ledger: MemoryLedger) -> None:
    hosts.osd(3).update(status="down")
    with pytest.raises(Refused, match=r"osd\.3 already down before the maintenance"):
        stop_host_daemons(cluster="c1", reference=REF, host="node1")
    assert executor.commands_on("node1") == [] and ledger.entries(REF) == {}


def test_a_reboot_is_done_once_a_new_boot_id_answers(
        context: TaskContext, hosts: FakeHost, executor: FakeExecutor) -> None:
    executor.make_unreachable("node1")
    with pytest.raises(TaskFailed, match="read the boot id"):  # nothing sent meanwhile
        run_on_host(cluster="c1", reference=REF, host="node1", reboot=True)
    assert hosts.reboots_sent == 0
    executor.make_reachable("node1")
    with pytest.raises(Retry):  # sent; the dropped connection is expected; same boot yet
        run_on_host(cluster="c1", reference=REF, host="node1", reboot=True)
    assert hosts.reboots_sent == 1
    executor.make_unreachable("node1")  # down, booting
    with pytest.raises(Retry):
        run_on_host(cluster="c1", reference=REF, host="node1", reboot=True)
    executor.make_reachable("node1")
    hosts.boots += 1
    done = run_on_host(cluster="c1", reference=REF, host="node1", reboot=True)
    assert done["boot_id"] == "boot-1" and hosts.reboots_sent == 1  # one reboot in all


def test_a_reboot_recorded_but_never_sent_is_sent_by_the_next_run(
        context: TaskContext, hosts: FakeHost, ledger: MemoryLedger) -> None:
    # What a worker killed between the record and the send leaves behind.
    ledger.remember(REF, "host-command:node1:None", {"boot_id": "boot-0"})
    with pytest.raises(Retry):
        run_on_host(cluster="c1", reference=REF, host="node1", reboot=True)
    assert hosts.reboots_sent == 1


def test_a_command_runs_once_for_one_task_however_often_its_message_comes(
        context: TaskContext, executor: FakeExecutor) -> None:
    executor.reply(["fwupdmgr", "update"], stdout="updated\n")
    kwargs = {"cluster": "c1", "reference": REF, "host": "node1",
              "command": ["fwupdmgr", "update"]}
    first = run_on_host.apply(kwargs=kwargs, task_id="t1").get()
    again = run_on_host.apply(kwargs=kwargs, task_id="t1").get()
    assert first == again and first["output"] == "updated\n"
    assert executor.commands_on("node1") == [("fwupdmgr", "update")]
    with pytest.raises(Refused, match="either reboot or a command"):
        run_on_host(cluster="c1", reference=REF, host="node1", command=[], reboot=False)


def test_a_host_whose_daemons_cannot_start_keeps_its_noout(
        context: TaskContext, hosts: FakeHost, ledger: MemoryLedger) -> None:
    noout = FlagTarget("noout", "node1")
    ledger.remember(REF, noout.ledger_key, False)
    stop_host_daemons(cluster="c1", reference=REF, host="node1")
    hosts.starts_fail = True
    with pytest.raises(TaskFailed, match=r"start osd\.2 on host node1"):
        restore(cluster="c1", reference=REF)
    assert noout.ledger_key in ledger.entries(REF)
    assert not [c for c in hosts.client.calls if c.prefix == "osd unset-group"]


def test_the_host_is_back_when_its_osds_are_up_and_in_and_every_pg_clean(
        context: TaskContext, hosts: FakeHost) -> None:
    stop_host_daemons(cluster="c1", reference=REF, host="node1")
    with pytest.raises(Retry):
        wait_host_back(cluster="c1", reference=REF, host="node1", timeout=60)
    restore(cluster="c1", reference=REF, kinds=["daemons"])
    hosts.recovered = 103
    back = wait_host_back(cluster="c1", reference=REF, host="node1", timeout=60)
    assert back["objects_recovered"] == 3 and back["object_copies_held"] == 50
    assert back["summary"] == ("3 objects recovered during the work, against 50 object "
                               "copies the host held (6.0 %)")


def test_a_host_down_past_max_down_is_held_the_operators_told_once_and_extend_waits_longer(
        context: ChannelsContext, clock: Clock, ledger: MemoryLedger) -> None:
    stop_host_daemons(cluster="c1", reference=REF, host="node1")
    [channel] = context.channels

    def look(after: float) -> str:
        clock.now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=after)
        with pytest.raises(Retry):
            wait_host_back.apply(kwargs={"cluster": "c1", "reference": REF, "host": "node1"},
                                 task_id="back", throw=True)
        return str(ledger.recall(REF, progress_key("back"))["status"])

    assert look(100).startswith("waiting for node1 (100 s down of 1800 s)")
    assert channel.sent == []
    held = look(1801)
    assert held.startswith("held: node1 down 1801 s, past the 1800 s it may be")
    assert f"cephmaint extend {REF} --minutes N" in held
    look(1900)
    assert [m.subject for m in channel.sent] == [f"[{REF}] node1 still down, held"]
    # The noout stays: nothing was restored on a timer.
    assert [k for k in ledger.entries(REF) if k.startswith("daemon-stopped")]

    ledger.note(REF, "max-down-extensions", [{"seconds": 600, "by": "bob", "reason": "BIOS"}])
    assert look(1950).startswith("waiting for node1 (1950 s down of 2400 s)")
    channel.fail_with = "chat unreachable"
    look(2401)
    channel.fail_with = None
    assert len(channel.sent) == 1  # not told yet: the next look tries again
    look(2402)
    assert len(channel.sent) == 2
