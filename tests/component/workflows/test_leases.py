"""The cluster lease and queue in a real Redis: tokens, expiry by Redis's TTL, races, order."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator, Sequence

import pytest
import redis

from tests.support.poll import poll
from workflows.concurrency import Concurrency, Holder, Refusal, join_refusal
from workflows.errors import ClusterBusy
from workflows.leases import Decide, RedisLeases
from workflows.queueing import RedisQueue

ONE = Concurrency()


def alone(reference: str, hosts: tuple[str, ...]) -> Decide:
    """The decision of a cluster that runs one maintenance at a time."""
    return lambda live: join_refusal(reference, hosts, live, ONE)


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis[bytes]]:
    """A client of the session's private Redis."""
    found: redis.Redis[bytes] = redis.Redis.from_url(redis_url)
    yield found
    found.close()


@pytest.fixture
def leases(client: redis.Redis[bytes]) -> RedisLeases:
    """Leases under a prefix of their own: every test starts with no holder and no token."""
    return RedisLeases(client, prefix=f"test:lease:{uuid.uuid4().hex[:8]}")


@pytest.fixture
def queue(client: redis.Redis[bytes]) -> RedisQueue:
    """A queue under a prefix of its own."""
    return RedisQueue(client, prefix=f"test:queue:{uuid.uuid4().hex[:8]}")


def keys(client: redis.Redis[bytes], prefix: str) -> dict[bytes, object]:
    """Every key under a prefix, with its contents."""
    readers = {b"string": client.get, b"hash": client.hgetall, b"set": client.smembers,
               b"list": lambda k: client.lrange(k, 0, -1),
               b"zset": lambda k: client.zrange(k, 0, -1, withscores=True)}
    found: dict[bytes, object] = {}
    for key in sorted(client.keys(f"{prefix}*")):
        kind = client.type(key)
        found[key] = (kind, readers[kind](key) if kind in readers else None)
    return found


def test_a_second_maintenance_on_a_busy_cluster_is_refused_naming_the_holder_and_writing_nothing(
        leases: RedisLeases, client: redis.Redis[bytes]) -> None:
    token = leases.take("c1", "decommission.node1.a", ["node1"], 60,
                        alone("decommission.node1.a", ("node1",)))
    assert leases.holders("c1") == [Holder("decommission.node1.a", ("node1",), token)]
    before = keys(client, leases.prefix)
    with pytest.raises(ClusterBusy) as busy:
        leases.take("c1", "replace.node2.b", ["node2"], 60,
                    alone("replace.node2.b", ("node2",)))
    assert busy.value.queueable and busy.value.holders == ("decommission.node1.a",)
    assert "workflow decommission.node1.a (hosts node1) holds its lease" in str(busy.value)
    assert keys(client, leases.prefix) == before
    # Another cluster's lease is its own.
    assert leases.take("c2", "replace.node2.b", ["node2"], 60,
                       alone("replace.node2.b", ("node2",))) == 1


def test_the_same_maintenance_started_twice_is_refused(leases: RedisLeases) -> None:
    leases.take("c1", "replace.node2.a", ["node2"], 60, alone("replace.node2.a", ("node2",)))
    with pytest.raises(ClusterBusy, match="holds the lease already") as busy:
        leases.take("c1", "replace.node2.a", ["node2"], 60, lambda live: None)
    assert not busy.value.queueable


def test_fencing_tokens_only_grow(leases: RedisLeases) -> None:
    tokens = []
    for n in range(4):
        reference = f"disk.node{n}.a"
        tokens.append(leases.take("c1", reference, [f"node{n}"], 60, alone(reference, ())))
        assert leases.release("c1", reference, tokens[-1])
    assert tokens == sorted(tokens) and len(set(tokens)) == 4
    assert leases.holders("c1") == []


def test_a_lease_nobody_renews_expires_by_redis_s_clock_and_frees_the_cluster(
        leases: RedisLeases) -> None:
    token = leases.take("c1", "replace.node2.a", ["node2"], 0.3,
                        alone("replace.node2.a", ("node2",)))
    poll(lambda: leases.holders("c1") == [], timeout=5, interval=0.05,
         what="the lease to expire")
    assert not leases.renew("c1", "replace.node2.a", token)
    assert leases.take("c1", "decommission.node1.b", ["node1"], 60,
                       alone("decommission.node1.b", ("node1",))) > token


def test_renewing_keeps_a_lease_past_its_time(leases: RedisLeases,
                                               client: redis.Redis[bytes]) -> None:
    token = leases.take("c1", "replace.node2.a", ["node2"], 0.4,
                        alone("replace.node2.a", ("node2",)))
    ends = time.monotonic() + 1.2
    while time.monotonic() < ends:
        assert leases.renew("c1", "replace.node2.a", token)
        time.sleep(0.1)
    assert [h.reference for h in leases.holders("c1")] == ["replace.node2.a"]
    assert 0 < client.pttl(f"{leases.prefix}:{{c1}}:holder:replace.node2.a") <= 400


def test_a_stale_token_neither_renews_nor_releases_the_lease_taken_anew(
        leases: RedisLeases) -> None:
    old = leases.take("c1", "decommission.node1.a", ["node1"], 60,
                      alone("decommission.node1.a", ("node1",)))
    # An operator's retry takes the maintenance's lease anew, under a new token.
    new = leases.take("c1", "decommission.node1.a", ["node1"], 60,
                      alone("decommission.node1.a", ("node1",)), replace_own=True)
    assert new > old
    assert not leases.renew("c1", "decommission.node1.a", old)
    assert not leases.release("c1", "decommission.node1.a", old)
    assert leases.holders("c1") == [Holder("decommission.node1.a", ("node1",), new)]
    assert leases.release("c1", "decommission.node1.a", new)
    assert leases.holders("c1") == []


def test_of_two_takes_racing_for_a_free_cluster_exactly_one_wins(leases: RedisLeases) -> None:
    won: list[str] = []
    refused: list[str] = []
    start = threading.Barrier(2)

    def slow(reference: str) -> None:
        def decide(live: Sequence[Holder]) -> Refusal | None:
            time.sleep(0.2)  # both decide on the same empty cluster
            return join_refusal(reference, (reference,), live, ONE)
        start.wait()
        try:
            leases.take("c1", reference, [reference], 60, decide)
            won.append(reference)
        except ClusterBusy:
            refused.append(reference)

    threads = [threading.Thread(target=slow, args=(r,)) for r in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(won) == 1 and len(refused) == 1, (won, refused)
    assert [h.reference for h in leases.holders("c1")] == won


def test_the_queue_keeps_order_and_tells_each_its_place(queue: RedisQueue) -> None:
    assert queue.enqueue("c1", "replace.node2.a", ("node2",), {"plan": {"n": 1}}) == 1
    assert queue.enqueue("c1", "disk.node0.b", ("node0",), {"plan": {"n": 2}}) == 2
    assert queue.enqueue("c2", "add.node9.c", ("node9",), {"plan": {"n": 3}}) == 1
    assert [q.reference for q in queue.waiting("c1")] == ["replace.node2.a", "disk.node0.b"]
    assert queue.waiting("c1")[1].entry == {"plan": {"n": 2}}
    assert queue.waiting("c1")[0].holder() == Holder("replace.node2.a", ("node2",))
    assert queue.position("disk.node0.b") == ("c1", 2)
    assert queue.position("add.node9.c") == ("c2", 1)
    queue.remove("c1", "replace.node2.a")
    assert queue.position("disk.node0.b") == ("c1", 1)
    assert queue.position("replace.node2.a") is None
    assert queue.position("never.queued.x") is None
