"""Upgrades: what the previous code stored is read and run to its end by this one.

The fixture is a workflow and its ledger as the code before formats were numbered stored
them in Redis: a diamond a -> (b, c) -> d with a and b done and c's message lost with its
broker. Loaded into a real Redis, the engine of this code sends c again, runs d and ends
the workflow; the ledger's old entries read as they were written. A newer format than this
code reads is refused by name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from ceph_tasks.errors import LedgerError
from ceph_tasks.ledger import RedisLedger
from dyrygent.errors import WorkflowFormatError
from dyrygent.formats import FORMAT
from dyrygent.hooks import Hooks
from dyrygent.processor import Engine, Settings
from dyrygent.redis_store import RedisStore
from dyrygent.states import WorkflowState
from tests.component.dyrygent.conftest import FakeBroker, FakeClock, Rig

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "formats" / "format0.json"
WF = "format0-wf"


@pytest.fixture
def loaded(redis_url: str) -> Iterator[tuple[redis.Redis[str], str, float]]:
    """The fixture's keys in a real Redis under prefixes of the test's own."""
    client: redis.Redis[str] = redis.Redis.from_url(redis_url, decode_responses=True)
    tag = uuid.uuid4().hex[:8]
    stored = json.loads(FIXTURE.read_text())
    for key, item in stored["keys"].items():
        _put(client, key.replace("dyrygent", f"dy{tag}", 1).replace(
            "cephmaint:ledger", f"ledger{tag}", 1), item)
    yield client, tag, float(stored["clock"])
    for key in client.scan_iter(f"*{tag}*"):
        client.delete(key)
    client.close()


def _put(client: redis.Redis[str], key: str, item: dict[str, Any]) -> None:
    kind, value = item["type"], item["value"]
    if kind == "hash":
        client.hset(key, mapping=value)
    elif kind == "list":
        client.rpush(key, *value)
    elif kind == "zset":
        client.zadd(key, {member: score for member, score in value})
    else:
        client.set(key, value)


def _rig(client: redis.Redis[str], tag: str, now: float) -> Rig:
    clock = FakeClock()
    clock.now = now
    store = RedisStore(client, f"dy{tag}")
    broker, hooks = FakeBroker(), Hooks()
    settings = Settings(tick_interval=1.0, batch=3, unconfirmed_after=10.0, lost_after=20.0)
    return Rig(Engine(store, broker, hooks, clock=clock, settings=settings), store, broker,
               clock, hooks)


def test_a_workflow_of_the_previous_format_resumes_and_runs_to_its_end(
        loaded: tuple[redis.Redis[str], str, float]) -> None:
    client, tag, now = loaded
    rig = _rig(client, tag, now)
    assert "format" not in rig.store.meta(WF)
    rig.clock.advance(30)  # past the time a sent message must be confirmed by
    rig.engine.tick(WF, 0)
    assert [m.kwargs["tag"] for m in rig.broker.queue] == ["c"]
    rig.drain()
    store = rig.engine.store
    assert WorkflowState(store.meta(WF)["state"]) == WorkflowState.SUCCESS
    assert store.results(WF, [0, 1, 2, 3]) == {0: ["a", []], 1: ["b", []], 2: ["c", []],
                                               3: ["d", []]}


def test_the_ledger_entries_of_the_previous_format_read_as_written_beside_new_ones(
        loaded: tuple[redis.Redis[str], str, float]) -> None:
    client, tag, _ = loaded
    ledger = RedisLedger(redis.Redis.from_url(_url(client)), prefix=f"ledger{tag}")
    assert ledger.remember(WF, "weights:4", 0.5) == 1.0  # the old entry stays first
    ledger.note(WF, "weights:5", 0.75)
    assert ledger.entries(WF) == {"weights:4": 1.0, "weights:5": 0.75,
                                  "plan": {"kind": "decommission", "cluster": "lab"},
                                  "balancer": {"active": True, "mode": "upmap"}}
    assert json.loads(client.hget(f"ledger{tag}:{{{WF}}}", "weights:5") or "") == {
        "format": 1, "value": 0.75}


def test_a_workflow_or_entry_of_a_newer_format_is_refused_by_name(
        loaded: tuple[redis.Redis[str], str, float]) -> None:
    client, tag, now = loaded
    client.hset(f"dy{tag}:{{{WF}}}:meta", "format", FORMAT + 1)
    rig = _rig(client, tag, now)
    with pytest.raises(WorkflowFormatError, match=f"format {FORMAT + 1} by a newer dyrygent"):
        rig.engine.tick(WF, 0)
    assert rig.broker.queue == []
    client.hset(f"ledger{tag}:{{{WF}}}", "weights:4", json.dumps({"format": 9, "value": 1}))
    ledger = RedisLedger(redis.Redis.from_url(_url(client)), prefix=f"ledger{tag}")
    with pytest.raises(LedgerError, match="'weights:4' of format0-wf has format 9"):
        ledger.recall(WF, "weights:4")


def _url(client: redis.Redis[str]) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"
