"""A running node's lease: its worker renews it; once it runs out the node gets a new attempt.

Each test runs on the in-memory store (the fake clock) and on real Redis (whose own clock
times leases): the clock is moved and real time passes, so both see the lease run out.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from celery import Celery, chain
from celery.exceptions import Retry

from dyrygent.processor import Engine, parse_task_id
from dyrygent.states import NodeState, WorkflowState
from dyrygent.tasks import Keeper
from dyrygent.workflows import Workflow
from tests.component.dyrygent.conftest import Rig

app = Celery("leases", set_as_current=False)
LEASE = 0.3


@app.task
def t(*args: Any, tag: str = "") -> list[Any]:
    """Stand-in task, executed by the simulated worker."""
    return [tag, list(args)]


def leased(rig: Rig) -> Engine:
    """The rig's engine with a short lease."""
    settings = dataclasses.replace(rig.engine.settings, lease=LEASE)
    return Engine(rig.store, rig.broker, rig.hooks, clock=rig.clock, settings=settings)


def let_time_pass(rig: Rig, seconds: float) -> None:
    rig.clock.advance(seconds)
    time.sleep(seconds)


def test_a_node_whose_worker_died_runs_again_under_a_new_attempt_once_its_lease_runs_out(
        rig: Rig) -> None:
    engine = leased(rig)
    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    handle = wf.submit_to(engine)
    first = rig.broker.queue.pop(0)
    assert engine.on_received(first.task_id)  # a worker took it, then died
    engine.tick(wf.id, 0)
    assert rig.broker.queue == []  # held: nothing sent again
    let_time_pass(rig, LEASE + 0.2)
    engine.tick(wf.id, 1)
    [again] = rig.broker.queue
    assert parse_task_id(again.task_id) == (wf.id, 0, 2)
    assert rig.broker.revoked == [first.task_id]
    assert rig.store.node(wf.id, 0)["state"] == NodeState.DISPATCHED
    assert "lease-expired" in [e["e"] for e in handle.events()]
    # The old attempt is fenced out: not current, and its late result changes nothing.
    assert not engine.is_current(first.task_id)
    engine.on_success(first.task_id, ["late", []])
    assert rig.store.node(wf.id, 0)["state"] == NodeState.DISPATCHED
    rig.engine = engine
    rig.drain()
    assert handle.wait(timeout=1) == ["b", []]


def test_a_worker_that_renews_its_lease_keeps_its_node(rig: Rig) -> None:
    engine = leased(rig)
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="long"))
    handle = wf.submit_to(engine)
    message = rig.broker.queue.pop(0)
    engine.on_received(message.task_id)
    for seq in range(3):
        let_time_pass(rig, LEASE / 2)
        assert engine.heartbeat(message.task_id)
        engine.tick(wf.id, seq)
    assert rig.broker.queue == [] and rig.store.node(wf.id, 0)["attempt"] == 1
    engine.on_success(message.task_id, ["long", []])
    assert handle.status().state == WorkflowState.SUCCESS
    assert not engine.heartbeat(message.task_id)  # over: its worker lets go of it


def test_a_retry_countdown_holds_the_lease_though_no_body_runs_to_renew_it(rig: Rig) -> None:
    engine = leased(rig)
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="waits"))
    wf.submit_to(engine)
    message = rig.broker.queue.pop(0)
    engine.on_received(message.task_id)
    engine.on_retry(message.task_id, Retry(when=5), countdown=5)
    engine.on_received(message.task_id)  # the retry's message: a shorter hold does not win
    let_time_pass(rig, LEASE + 0.2)
    engine.tick(wf.id, 0)
    assert rig.broker.queue == [] and rig.store.node(wf.id, 0)["state"] == NodeState.RUNNING


def test_a_tick_whose_message_was_lost_is_run_by_the_keeper_once_overdue(rig: Rig) -> None:
    settings = dataclasses.replace(rig.engine.settings, tick_interval=0.1, tick_rescue=0.2)
    engine = Engine(rig.store, rig.broker, rig.hooks, clock=rig.clock, settings=settings)
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="a"))
    wf.submit_to(engine)
    assert rig.broker.ticks == [(wf.id, 0, 0.1)]  # held by a worker that then died
    assert engine.rescue_ticks() == 0  # not overdue yet
    let_time_pass(rig, 0.4)
    assert engine.rescue_ticks() == 1
    assert rig.store.meta(wf.id)["tick"] in (1, "1")
    assert rig.broker.ticks[-1] == (wf.id, 1, 0.1)  # the chain goes on
    engine.tick(wf.id, 0)  # the lost message, delivered at last: its turn is over
    assert rig.broker.ticks[-1] == (wf.id, 1, 0.1)
    rig.engine = engine
    rig.drain()
    let_time_pass(rig, 0.4)
    engine.rescue_ticks()  # the finished workflow's tick runs once more and asks for no other
    assert engine.rescue_ticks() == 0


def test_the_keeper_renews_what_its_worker_took_and_lets_go_once_the_node_is_done(
        rig: Rig) -> None:
    engine = leased(rig)
    keeper = Keeper(engine, interval=3600)  # beats by hand here: its thread waits an hour
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="long"))
    wf.submit_to(engine)
    message = rig.broker.queue.pop(0)
    engine.on_received(message.task_id)
    keeper.add(message.task_id)
    for seq in range(3):
        let_time_pass(rig, LEASE / 2)
        keeper.beat()
        engine.tick(wf.id, seq)
    assert rig.broker.queue == []
    engine.on_success(message.task_id, ["long", []])
    keeper.beat()
    assert keeper.held == frozenset()


@dataclasses.dataclass
class Message:
    """What the keeper reads of a worker's request for a message: whether it was acked."""

    acknowledged: bool = False


def test_a_retried_task_is_held_only_by_the_worker_holding_its_new_message(rig: Rig) -> None:
    engine = leased(rig)
    first, other = Keeper(engine, interval=3600), Keeper(engine, interval=3600)
    wf = Workflow()
    wf.add_celery_canvas(t.si(tag="steps"))
    wf.submit_to(engine)
    sent = rig.broker.queue.pop(0)
    engine.on_received(sent.task_id)
    ran = Message()
    first.add(sent.task_id, ran)
    # The body asks to run again in a while: its message is acknowledged, a new one sent,
    # and the other worker takes it; the first no longer renews a lease it cannot keep.
    engine.on_retry(sent.task_id, Retry("again"), 0.0)
    ran.acknowledged = True
    engine.on_received(sent.task_id)
    other.add(sent.task_id, Message())
    first.beat()
    other.beat()
    assert first.held == frozenset() and other.held == {sent.task_id}


def test_a_lost_broker_connection_lets_go_of_all_but_the_running_bodies(rig: Rig) -> None:
    keeper = Keeper(leased(rig), interval=3600)
    for tid in ("dy-wf-0-1", "dy-wf-1-1", "dy-wf-2-3"):
        keeper.add(tid, Message())
    assert keeper.let_go({"dy-wf-1-1"}) == ["dy-wf-0-1", "dy-wf-2-3"]
    assert keeper.held == {"dy-wf-1-1"}
