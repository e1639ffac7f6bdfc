"""Pause and restore Ceph's movers, and weight steps held by a PG split, on a fake cluster."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Retry

from ceph_tasks.ceph.command import CephCommand
from ceph_tasks.ledger import MemoryLedger
from ceph_tasks.tasks.context import TaskContext, install_context
from ceph_tasks.tasks.pause import pause_movers
from ceph_tasks.tasks.restore import restore
from ceph_tasks.tasks.reweight import reweight
from ceph_tasks.testing.fake_executor import FakeExecutor
from tests.component.ceph_tasks import test_data_movement_tasks as movement

REF = "maint-movers"


class Movers(movement.FakeCluster):
    """The healthy fixtures with a balancer and autoscalers that commands really change."""

    def __init__(self) -> None:
        super().__init__()
        self.balancer = {"active": True, "mode": "upmap", "plans": []}
        self.pools = self.client.answers["osd pool ls"]
        assert isinstance(self.pools, list)
        for pool in self.pools:
            pool["pg_autoscale_mode"] = "on"
        self.client.answer("osd pool ls", lambda _: copy.deepcopy(self.pools))
        self.client.answer("balancer status", lambda _: dict(self.balancer))
        self.client.answer("balancer off", lambda _: self.balancer.update(active=False))
        self.client.answer("balancer on", lambda _: self.balancer.update(active=True))
        self.client.answer("osd pool set", self._pool_set)

    def _pool_set(self, command: CephCommand) -> None:
        pool = next(p for p in self.pools if p["pool_name"] == command.args["pool"])
        pool[command.args["var"]] = command.args["val"]

    def modes(self) -> dict[str, str]:
        return {p["pool_name"]: p["pg_autoscale_mode"] for p in self.pools}

    def sent(self) -> list[tuple[str, dict[str, Any]]]:
        return [(c.prefix, dict(c.args)) for c in self.client.calls
                if c.prefix in ("balancer off", "balancer on", "osd pool set")]


@pytest.fixture
def movers() -> Movers:
    return Movers()


@pytest.fixture
def context(movers: Movers, task_app: Celery) -> Iterator[TaskContext]:
    ctx = TaskContext(inventory=movement.inventory(), ledger=MemoryLedger(),
                      executor=FakeExecutor(), ceph_factory=lambda _: movers.client)
    install_context(task_app, ctx)
    yield ctx
    install_context(task_app, None)


def test_a_pause_and_its_restore_put_everything_back_once(context: TaskContext,
                                                          movers: Movers) -> None:
    names = list(movers.modes())
    paused = pause_movers(cluster="c1", reference=REF)
    assert paused["changed"][0] == "balancer off"
    assert not movers.balancer["active"] and set(movers.modes().values()) == {"warn"}
    # A re-run (a re-delivered message) records nothing new and sends nothing.
    sent = len(movers.sent())
    assert pause_movers(cluster="c1", reference=REF)["changed"] == []
    assert len(movers.sent()) == sent

    restored = restore(cluster="c1", reference=REF)
    assert restored["changed"] == ["balancer on"] + [
        f"pool {name} pg_autoscale_mode on" for name in names]
    assert movers.balancer["active"] and set(movers.modes().values()) == {"on"}
    assert restore(cluster="c1", reference=REF)["changed"] == []
    assert context.ledger.entries(REF) == {}


def test_a_weight_step_waits_while_a_pg_split_is_under_way(context: TaskContext,
                                                          movers: Movers) -> None:
    movers.pools[0].update(pg_num_target=movers.pools[0]["pg_num"] * 2)
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, host="node2", target=0, step=0.5)
    assert movers.reweights() == []
    movers.pools[0].update(pg_num_target=movers.pools[0]["pg_num"])
    with pytest.raises(Retry):
        reweight(cluster="c1", reference=REF, host="node2", target=0, step=0.5)
    assert movers.weight(4) == 0.5
