"""Component fixtures: the engine on the in-memory fake and on real Redis, fake broker and clock."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis

from dyrygent.hooks import Hooks
from dyrygent.memory_store import MemoryStore
from dyrygent.processor import Engine, Send, Settings
from dyrygent.redis_store import RedisStore
from dyrygent.store import StateStore


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeBroker:
    """Dispatcher that keeps what would have been published."""

    queue: list[Send] = field(default_factory=list)
    sent: list[Send] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    ticks: list[tuple[str, int, float]] = field(default_factory=list)
    backend: dict[str, tuple[str, Any]] = field(default_factory=dict)
    fail_sends: bool = False

    def send(self, messages: Sequence[Send]) -> None:
        if self.fail_sends:
            raise ConnectionError("broker down")
        self.queue.extend(messages)
        self.sent.extend(messages)

    def revoke(self, task_ids: Sequence[str]) -> None:
        self.revoked.extend(task_ids)

    def schedule_tick(self, workflow_id: str, seq: int, countdown: float) -> None:
        self.ticks.append((workflow_id, seq, countdown))

    kicks: list[str] = field(default_factory=list)

    def lookup(self, task_id: str) -> tuple[str, Any] | None:
        return self.backend.get(task_id)

    def kick(self, workflow_id: str) -> None:
        self.kicks.append(workflow_id)

    def stash(self, task_id: str, state: str, value: Any, tb: str | None = None) -> None:
        self.backend[task_id] = (state, value)


def t_body(message: Send) -> Any:
    """The body of the test task t: its tag and what it received."""
    return [message.kwargs.get("tag", ""), message.args]


@dataclass
class Rig:
    """An engine wired to a store, a fake broker and a fake clock."""

    engine: Engine
    store: StateStore
    broker: FakeBroker
    clock: FakeClock
    hooks: Hooks

    def step(self, body: Callable[[Send], Any] = t_body) -> Send:
        """Let a simulated worker run the oldest queued message."""
        message = self.broker.queue.pop(0)
        if not self.engine.on_received(message.task_id):
            return message  # a stale attempt: the worker skips it
        args = list(message.args)  # each delivery decodes its own list, as in Celery
        self.engine.resolve_args(message.task_id, args)
        message = dataclasses.replace(message, args=args)
        try:
            result = body(message)
        except Exception as e:
            self.engine.on_failure(message.task_id, e, "")
        else:
            self.engine.on_success(message.task_id, result)
        return message

    def drain(self, body: Callable[[Send], Any] = t_body) -> list[Send]:
        """Run queued processor kicks and task messages until none is left."""
        done = []
        while self.broker.queue or self.broker.kicks:
            if self.broker.kicks:
                self.engine.kick(self.broker.kicks.pop(0))
            else:
                done.append(self.step(body))
        return done


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    """The same suite runs against the fake and the real Redis store."""
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url, decode_responses=True)
    prefix = f"dyc{uuid.uuid4().hex[:8]}"
    yield RedisStore(client, prefix)
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def rig(store: StateStore) -> Rig:
    """Engine on the parametrised store with small batches, to exercise batching."""
    clock = FakeClock()
    broker = FakeBroker()
    hooks = Hooks()
    settings = Settings(tick_interval=1.0, batch=3, unconfirmed_after=10.0, lost_after=20.0)
    engine = Engine(store, broker, hooks, clock=clock, settings=settings)
    return Rig(engine, store, broker, clock, hooks)


@pytest.fixture(scope="session")
def redis_url_value(redis_url: str) -> str:
    """The session Redis URL, for hypothesis tests that cannot take function fixtures."""
    return redis_url
