"""A leaving host's manager and MDS fail over and its monitor leaves, each recorded first."""

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
from ceph_tasks.tasks.handover import hand_over_daemons
from ceph_tasks.testing.fake_ceph import FakeCephClient
from ceph_tasks.testing.fake_executor import FakeExecutor
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
def context(daemons: Daemons, task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=allowing(2), ledger=MemoryLedger(), executor=FakeExecutor(),
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
    assert done["left_on_host"] == ["mgr.node2 (standby)", "mds.node2 (up:standby)"]
    assert daemons.mons == ["node0", "node1"]


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
