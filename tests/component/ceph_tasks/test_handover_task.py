"""A leaving host's manager and MDS fail over and its monitor leaves, each recorded first;
a new host's daemons come up (its monitor joins the quorum) before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.errors import CephBusy, Refused
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.handover import add_daemons, hand_over_daemons
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor, FakeReply
from inventory import Inventory
from tests.component.ceph_tasks.test_node_tasks import inventory
from tests.support.service_daemons import daemon_answers

REF = "decommission.node2"
WRITES = ("mgr fail", "mds fail", "mon rm")


class Daemons:
    """Monitors node0-2; managers and MDS active on node2 with standbys on node0, node1."""

    def __init__(self) -> None:
        self.mons, self.mgrs, self.mds = ["node0", "node1", "node2"], ["node2", "node0"], \
            ["node2", "node1"]
        self.client = FakeCephClient()
        for prefix in ("quorum_status", "mgr dump", "fs dump", "mon metadata",
                       "mgr metadata", "mds metadata"):
            self.client.answer(prefix, lambda cmd: daemon_answers(
                mons=self.mons, mgrs=self.mgrs, mds=self.mds)[cmd.prefix])
        self.client.answer("mon ok-to-rm", None)
        self.unknown = 0
        self.client.answer("pg stat", lambda _: {
            "pg_ready": True,
            "pg_summary": {"num_pgs": 32, "num_pg_by_state": [
                {"name": "unknown", "num": self.unknown},
                {"name": "active+clean", "num": 32 - self.unknown}]}})
        self.client.answer("mgr fail", lambda cmd: self._fail(self.mgrs, cmd.args["who"]))
        self.client.answer("mds fail", lambda cmd: self._fail(self.mds,
                                                              cmd.args["role_or_gid"]))
        self.client.answer("mon rm", lambda cmd: self.mons.remove(cmd.args["name"]))

    @staticmethod
    def _fail(daemons: list[str], name: str) -> None:
        # The standby takes over; the failed daemon comes back as a standby.
        daemons.remove(name)
        daemons.append(name)

    def writes(self) -> list[str]:
        return [f"{c.prefix} {next(iter(c.args.values()))}" for c in self.client.calls
                if c.prefix in WRITES]


def allowing(monitors: int) -> Inventory:
    data = inventory().model_dump()
    data["clusters"][0]["min_monitors"] = monitors
    return Inventory.model_validate(data)


@pytest.fixture
def daemons() -> Daemons:
    return Daemons()


@pytest.fixture
def executor(daemons: Daemons) -> FakeExecutor:
    """systemd units stop; a started unit's daemon comes up (a monitor joins the quorum)."""
    fake = FakeExecutor()

    def systemctl(host: str, argv: tuple[str, ...]) -> FakeReply | None:
        if argv[:3] == ("systemctl", "enable", "--now"):
            kind, name = argv[3].removeprefix("ceph-").split("@")
            {"mon": daemons.mons, "mgr": daemons.mgrs, "mds": daemons.mds}[kind].append(name)
            return FakeReply(0, "", "")
        return FakeReply(0, "", "") if argv[0] in ("systemctl", "ceph", "ceph-mon", "rm",
                                                   "install", "chown") else None

    fake.reply_with(systemctl)
    return fake


@pytest.fixture
def context(daemons: Daemons, executor: FakeExecutor, task_app: Celery
            ) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=allowing(2), ledger=MemoryLedger(), executor=executor,
                      ceph_factory=lambda _: daemons.client)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def test_the_host_hands_over_its_daemons_once_and_the_next_look_finds_it_done(
        context: TaskContext, daemons: Daemons) -> None:
    with pytest.raises(Retry):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert daemons.writes() == ["mgr fail node2", "mds fail node2", "mon rm node2"]
    assert sorted(k for k in context.ledger.entries(REF) if k.startswith("daemon-")) == [
        "daemon-handed-over:mds.node2", "daemon-handed-over:mgr.node2",
        "daemon-handed-over:mon.node2"]
    done: dict[str, Any] = hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert daemons.writes() == ["mgr fail node2", "mds fail node2", "mon rm node2"]
    assert daemons.mons == ["node0", "node1"]
    # Then what is left there stops for good: the standbys and the removed monitor.
    assert done["stopped"] == ["mds.node2", "mgr.node2", "mon.node2"]
    assert context.executor.commands_on("node2") == [  # type: ignore[attr-defined]
        ("systemctl", "disable", "--now", f"ceph-{d}@node2") for d in ("mds", "mgr", "mon")]
    assert sorted(k for k in context.ledger.entries(REF) if k.startswith("daemon-retired")) \
        == ["daemon-retired:mds.node2", "daemon-retired:mgr.node2", "daemon-retired:mon.node2"]
    hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert len(context.executor.commands_on("node2")) == 3  # type: ignore[attr-defined]


def test_too_few_monitors_left_refuses_with_nothing_sent_or_recorded(
        context: TaskContext, daemons: Daemons) -> None:
    context.inventory = allowing(3)
    with pytest.raises(Refused, match=r"removing mon.node2 leaves 2 monitor\(s\)"):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert daemons.writes() == [] and context.ledger.entries(REF) == {}


def test_ceph_refusing_the_monitors_removal_refuses_the_handover(
        context: TaskContext, daemons: Daemons) -> None:
    daemons.client.answer("mon ok-to-rm", CephBusy(CephCommand("mon ok-to-rm").describe(), 16,
                                                   "removing mon.node2 would break quorum"))
    with pytest.raises(Refused, match=r"ceph says mon\.node2 may not be removed"):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert daemons.writes() == []


def test_a_new_hosts_monitor_joins_and_its_manager_and_mds_stand_by_each_recorded_first(
        context: TaskContext, daemons: Daemons, executor: FakeExecutor) -> None:
    context.inventory = allowing(3)
    with pytest.raises(Retry):
        add_daemons(cluster="c1", reference=REF, host="node3", kinds=["mon", "mgr", "mds"])
    assert sorted(k for k in context.ledger.entries(REF) if k.startswith("daemon-added")) == [
        "daemon-added:mds.node3", "daemon-added:mgr.node3", "daemon-added:mon.node3"]
    units = [c[3] for c in executor.commands_on("node3") if c[:2] == ("systemctl", "enable")]
    assert units == ["ceph-mon@node3", "ceph-mgr@node3", "ceph-mds@node3"]
    assert ("ceph-mon", "--mkfs", "-i", "node3", "--monmap", "/var/lib/ceph/tmp/monmap.node3",
            "--keyring", "/var/lib/ceph/tmp/mon-keyring.node3", "--setuser", "ceph",
            "--setgroup", "ceph") in executor.commands_on("node3")
    done = add_daemons(cluster="c1", reference=REF, host="node3", kinds=["mon", "mgr", "mds"])
    assert done["running"] == ["mon.node3", "mgr.node3", "mds.node3"]
    assert daemons.mons == ["node0", "node1", "node2", "node3"]
    # With node3 in quorum, node2's monitor may go though the inventory asks for three.
    with pytest.raises(Retry):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert "mon rm node2" in daemons.writes()


def test_a_monitor_is_not_added_while_another_is_out_of_quorum(
        context: TaskContext, daemons: Daemons, executor: FakeExecutor) -> None:
    daemons.client.answer("quorum_status", lambda cmd: daemon_answers(
        mons=daemons.mons, mgrs=daemons.mgrs, mds=daemons.mds,
        out_of_quorum=["node1"])["quorum_status"])
    with pytest.raises(Refused, match=r"monitor\(s\) node1 out of quorum"):
        add_daemons(cluster="c1", reference=REF, host="node3", kinds=["mon"])
    assert executor.calls == [] and context.ledger.entries(REF) == {}


def test_the_host_waits_until_the_new_active_manager_knows_every_pg(
        context: TaskContext, daemons: Daemons, executor: FakeExecutor) -> None:
    with pytest.raises(Retry):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    daemons.unknown = 32  # the manager that took over has heard from no OSD yet
    with pytest.raises(Retry):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert executor.calls == []  # nothing stopped while it waits
    daemons.unknown = 0
    assert hand_over_daemons(cluster="c1", reference=REF, host="node2")["stopped"]


def test_daemons_stopped_for_new_hardware_in_the_same_place_are_brought_up_anew(
        context: TaskContext, daemons: Daemons, executor: FakeExecutor) -> None:
    with pytest.raises(Retry):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    hand_over_daemons(cluster="c1", reference=REF, host="node2")  # stops what is left
    # The stopped standby manager is still listed (its beacons have not timed out yet).
    assert "node2" in daemons.mgrs
    with pytest.raises(Retry):
        add_daemons(cluster="c1", reference=REF, host="node2", kinds=["mgr"])
    assert ("systemctl", "enable", "--now", "ceph-mgr@node2") in executor.commands_on("node2")


def test_a_daemon_recorded_by_the_earlier_format_counts_as_stopped(
        context: TaskContext, daemons: Daemons) -> None:
    # Records written before "done" was kept: a stop was recorded, then sent.
    for entity in ("mds.node2", "mgr.node2", "mon.node2"):
        context.ledger.remember(REF, f"daemon-retired:{entity}",
                                {"host": "node2", "at": "2026-12-01T00:00:00+00:00"})
    with pytest.raises(Retry):
        hand_over_daemons(cluster="c1", reference=REF, host="node2")
    hand_over_daemons(cluster="c1", reference=REF, host="node2")
    assert context.executor.commands_on("node2") == []  # type: ignore[attr-defined]
