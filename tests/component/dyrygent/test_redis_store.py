"""What only the Redis store promises: one hash tag per workflow, bounded size, batching."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery, chain, chord
from redis.crc import key_slot

from dyrygent.hooks import Hooks
from dyrygent.processor import Engine, Settings
from dyrygent.redis_store import RedisStore
from dyrygent.states import WorkflowState
from dyrygent.workflows import Workflow
from tests.component.dyrygent.conftest import FakeBroker, FakeClock, Rig

app = Celery("component-redis", set_as_current=False)


@app.task
def t(*args: Any, tag: str = "") -> list[Any]:
    """Stand-in task, executed by the simulated worker."""
    return [tag, list(args)]


@pytest.fixture
def redis_rig(redis_url: str) -> Iterator[tuple[Rig, redis.Redis]]:  # type: ignore[type-arg]
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    prefix = f"dyr{uuid.uuid4().hex[:8]}"
    store = RedisStore(client, prefix)
    broker, clock = FakeBroker(), FakeClock()
    engine = Engine(store, broker, Hooks(), clock=clock, settings=Settings(batch=500))
    yield Rig(engine, store, broker, clock, engine.hooks), client
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)


def chords(n: int, width: int) -> Any:
    parts = [chord([t.si(tag=f"h{i}.{j}") for j in range(width)], t.s(tag=f"b{i}"))
             for i in range(n)]
    return chain(t.si(tag="start"), *parts, t.s(tag="end"))


def test_all_keys_of_a_workflow_share_its_hash_tag(redis_rig: tuple[Rig, Any]) -> None:
    rig, client = redis_rig
    wf = Workflow()
    wf.add_celery_canvas(chords(2, 3))
    wf.submit_to(rig.engine)
    rig.drain()
    prefix = rig.store.prefix  # type: ignore[attr-defined]
    # Beside them, one key of the processor's: the ticks it expects, every workflow's.
    keys = [k for k in client.scan_iter(f"{prefix}:*") if k != f"{prefix}:ticks"]
    assert keys and all(f"{{{wf.id}}}" in k for k in keys)
    slots = {key_slot(k.encode()) for k in keys}
    assert len(slots) == 1


def test_state_stays_under_two_kilobytes_per_node(redis_rig: tuple[Rig, Any]) -> None:
    rig, client = redis_rig
    wf = Workflow()
    wf.add_celery_canvas(chords(20, 50))
    h = wf.submit_to(rig.engine)
    rig.drain()
    assert h.status().state == WorkflowState.SUCCESS
    keys = list(client.scan_iter(f"{rig.store.prefix}:*"))  # type: ignore[attr-defined]
    used = sum(client.memory_usage(k, samples=0) or 0 for k in keys)
    assert used / len(wf.nodes) < 2048


def test_messages_stay_small_whatever_the_fan_in(redis_rig: tuple[Rig, Any]) -> None:
    rig, _ = redis_rig
    wf = Workflow()
    wf.add_celery_canvas(chords(3, 400))
    handle = wf.submit_to(rig.engine)
    rig.drain()
    biggest = max(len(json.dumps([m.args, m.kwargs])) for m in rig.broker.sent)
    assert biggest < 4096  # 400 header results travel through the store, not the message
    assert len(rig.broker.sent) == len(wf.nodes)
    result = handle.wait(timeout=1)
    assert result[0] == "end" and len(result[1][0][1][0]) == 400


def test_submitting_twice_is_refused(redis_rig: tuple[Rig, Any]) -> None:
    from dyrygent.errors import StoreError

    rig, _ = redis_rig
    wf = Workflow()
    wf.add_celery_canvas(t.si())
    wf.submit_to(rig.engine)
    with pytest.raises(StoreError, match="already exists"):
        wf.submit_to(rig.engine)


def test_cli_reads_status_events_plan_and_graph(redis_rig: tuple[Rig, Any], redis_url: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from dyrygent.cli import main

    rig, _ = redis_rig
    wf = Workflow()
    wf.add_signature(t.si(), node_id="a")
    wf.add_signature(t.si(), node_id="b", dependencies=["a"])
    wf.submit_to(rig.engine)
    rig.drain()
    base = ["--redis", redis_url, "--prefix", rig.store.prefix]  # type: ignore[attr-defined]
    assert main([*base, "status", wf.id]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "SUCCESS"
    assert main([*base, "events", wf.id]) == 0
    assert '"node": "b"' in capsys.readouterr().out
    assert main([*base, "plan", wf.id]) == 0
    assert capsys.readouterr().out == "0: a\n1: b\n"
    assert main([*base, "mermaid", wf.id]) == 0
    assert "n0 --> n1" in capsys.readouterr().out
    assert main([*base, "pause", wf.id]) == 1
    assert "SUCCESS" in capsys.readouterr().err  # a finished workflow cannot pause
    assert main([*base, "status", "missing"]) == 1
    assert "unknown workflow" in capsys.readouterr().err


def test_finished_workflows_expire_and_retried_ones_do_not(redis_rig: tuple[Rig, Any]) -> None:
    from dyrygent.processor import Send

    rig, client = redis_rig

    def flaky(message: Send) -> Any:
        raise ValueError("once")

    wf = Workflow()
    wf.add_celery_canvas(chain(t.si(tag="a"), t.si(tag="b")))
    handle = wf.submit_to(rig.engine)
    rig.step(flaky)
    meta_key = f"{rig.store.prefix}:{{{wf.id}}}:meta"  # type: ignore[attr-defined]
    assert 0 < client.ttl(meta_key) <= 7 * 24 * 3600
    handle.retry()
    assert client.ttl(meta_key) == -1
    rig.drain()
    assert handle.status().state == WorkflowState.SUCCESS
    assert client.ttl(meta_key) > 0
