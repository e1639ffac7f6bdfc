"""Workflow state on a Redis Sentinel group: a primary, two replicas and three sentinels.

Each transition waits (Redis WAIT, on the script's own connection) until a replica holds
it. The primary killed halfway through a chain: the sentinels promote a replica, the
store's client finds it, every transition acknowledged before the kill is there, and the
workflow runs to its end; the ledger, on the same group, still has its record. A
transition that too few replicas confirm is not acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, chain

from ceph_tasks.ledger import RedisLedger
from ceph_tasks.redis_client import connect
from dyrygent.errors import StoreUnavailable
from dyrygent.hooks import Hooks
from dyrygent.processor import Engine, Settings
from dyrygent.redis_store import RedisStore
from dyrygent.states import NodeState, WorkflowState
from dyrygent.workflows import Workflow
from tests.component.dyrygent.conftest import FakeBroker, FakeClock, Rig
from tests.support.poll import poll
from tests.support.services import SentinelGroup, sentinel_group

pytestmark = pytest.mark.integration

app = Celery("sentinel-store", set_as_current=False)


@app.task
def t(*args: Any, tag: str = "") -> list[Any]:
    """Stand-in task, run by the simulated worker."""
    return [tag, list(args)]


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelGroup]:
    with sentinel_group(tmp_path_factory.mktemp("sentinel")) as made:
        yield made


def rig_on(store: RedisStore) -> Rig:
    broker, clock, hooks = FakeBroker(), FakeClock(), Hooks()
    engine = Engine(store, broker, hooks, clock=clock, settings=Settings(batch=10))
    return Rig(engine, store, broker, clock, hooks)


def states(rig: Rig, wf: Workflow) -> list[str]:
    return [rig.store.node(wf.id, i)["state"] for i in range(6)]


def kicks(rig: Rig) -> None:
    while rig.broker.kicks:
        rig.engine.kick(rig.broker.kicks.pop(0))


def test_a_failover_mid_workflow_loses_no_acknowledged_transition_and_the_workflow_ends(
        group: SentinelGroup) -> None:
    ledger = RedisLedger.from_url(group.url)
    ledger.remember("replace.node1.1", "weights:3", 1.0)
    store = RedisStore(connect(group.url, decode_responses=True), "ha", replicas=1)
    rig = rig_on(store)
    wf = Workflow()
    wf.add_celery_canvas(chain(*[t.si(tag=f"s{i}") for i in range(6)]))
    wf.submit_to(rig.engine)
    kicks(rig)
    for _ in range(3):  # the first three steps run to their end
        rig.step()
        kicks(rig)
    before = rig.store.events(wf.id)
    assert states(rig, wf)[:3] == [NodeState.SUCCESS] * 3

    promoted = group.fail_over()
    print(f"\nthe sentinels promoted a replica {promoted:.1f} s after the primary died")
    # The first call after the failover may find the old connection gone: the caller's
    # safety net (here: asking again) covers it, as the tick does in a worker.
    poll(lambda: _reads(rig, wf), timeout=30, interval=0.2, what="the new primary answering")
    assert rig.store.events(wf.id)[:len(before)] == before
    assert ledger.recall("replace.node1.1", "weights:3") == 1.0
    rig.drain()
    assert rig.store.meta(wf.id)["state"] == WorkflowState.SUCCESS
    assert states(rig, wf) == [NodeState.SUCCESS] * 6


def _reads(rig: Rig, wf: Workflow) -> bool:
    try:
        rig.store.meta(wf.id)
    except StoreUnavailable:
        return False
    return True


def test_a_transition_fewer_replicas_confirm_than_asked_is_not_acknowledged(
        group: SentinelGroup) -> None:
    store = RedisStore(connect(group.url, decode_responses=True), "few", replicas=3,
                       wait_seconds=0.3)
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    # The group has two replicas: at most two confirm; on a loaded machine one may be late.
    with pytest.raises(StoreUnavailable, match=r"[0-2] of 3 replicas confirmed it within 0\.3 s"):
        wf.submit_to(rig_on(store).engine)
