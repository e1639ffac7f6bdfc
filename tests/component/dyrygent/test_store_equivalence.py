"""The Lua transitions of RedisStore and the Python ones of MemoryStore agree, step by step."""

from __future__ import annotations

import uuid
from typing import Any

import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dyrygent.dag import Dag, NodeSpec
from dyrygent.errors import DyrygentError
from dyrygent.memory_store import MemoryStore
from dyrygent.redis_store import RedisStore
from dyrygent.states import NodeState
from dyrygent.store import Outcome, StateStore


@st.composite
def small_dags(draw: st.DrawFn) -> Dag:
    n = draw(st.integers(1, 7))
    dag = Dag()
    for i in range(n):
        deps = draw(st.lists(st.integers(0, i - 1), max_size=3, unique=True)) if i else []
        dag.add(NodeSpec(f"n{i}", "t", dependencies=tuple(f"n{d}" for d in deps),
                         timeout=draw(st.sampled_from([None, 5.0]))))
    return dag


OPS = ["claim", "start", "complete", "fail", "pause", "resume", "retry", "skip", "cancel",
       "abort", "redispatch", "unconfirmed", "overdue"]


def apply(store: StateStore, wf: str, op: str, index: int, attempt: int, now: float) -> Any:
    """Run one operation; return a comparable summary of what it did."""
    try:
        if op == "claim":
            return summary(store.claim(wf, now, 2))
        if op == "start":
            return store.start(wf, index, attempt, now)
        if op == "complete":
            return summary(store.complete(wf, index, attempt, '"r"', now, 2))
        if op == "fail":
            return summary(store.fail(wf, index, attempt, {"type": "E"}, now))
        if op == "pause":
            return summary(store.pause(wf, now))
        if op == "resume":
            return summary(store.resume(wf, now, 2))
        if op == "retry":
            return summary(store.retry_failed(wf, now, 2))
        if op == "skip":
            return summary(store.skip(wf, index, now, 2))
        if op == "cancel":
            return sorted((a.index, a.attempt) for a in store.cancel(wf, now))
        if op == "abort":
            return sorted((a.index, a.attempt) for a in store.abort(wf, "late", now))
        if op == "redispatch":
            return sorted((d.index, d.attempt) for d in store.redispatch(wf, now - 10, now))
        if op == "unconfirmed":
            return sorted((d.index, d.attempt) for d in store.unconfirmed(wf, now - 10, now))
        return sorted((a.index, a.attempt) for a in store.overdue(wf, now))
    except DyrygentError as e:
        return type(e).__name__


def summary(outcome: Outcome) -> Any:
    return (outcome.applied, outcome.workflow_state, sorted(outcome.ready),
            [(d.index, d.attempt) for d in outcome.claimed])


def snapshot(store: StateStore, wf: str, n: int) -> Any:
    meta = store.meta(wf)
    counts = {s: int(meta.get("c:" + s, 0)) for s in NodeState}
    nodes = [store.node(wf, i) for i in range(n)]
    return (meta["state"], meta["done"], meta["failed"], meta["active"], counts, nodes,
            sorted(store.errors(wf)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dag=small_dags(), data=st.data())
def test_memory_and_redis_stores_agree_on_every_transition(
        redis_url_value: str, dag: Dag, data: st.DataObject) -> None:
    nodes = dag.compile()
    client = redis.Redis.from_url(redis_url_value, decode_responses=True)
    prefix = f"dyeq{uuid.uuid4().hex[:8]}"
    stores: list[StateStore] = [MemoryStore(), RedisStore(client, prefix)]
    wf, now = "wf", 1000.0
    max_active = data.draw(st.sampled_from([0, 2]))
    for store in stores:
        store.create(wf, nodes, {"max_active": max_active}, now)
    try:
        for _ in range(data.draw(st.integers(1, 30))):
            op = data.draw(st.sampled_from(OPS))
            index = data.draw(st.integers(0, len(nodes) - 1))
            attempt = data.draw(st.integers(0, 3))
            now += data.draw(st.sampled_from([0.0, 1.0, 11.0]))
            results = [apply(store, wf, op, index, attempt, now) for store in stores]
            assert results[0] == results[1], (op, index, attempt)
            states = [snapshot(store, wf, len(nodes)) for store in stores]
            assert states[0] == states[1], (op, index, attempt)
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()
