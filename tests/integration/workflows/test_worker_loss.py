"""Two admin hosts share the work; one killed in the middle of a drain costs a lease.

Workers of two admin hosts (each its own worker name, and its own loopback address by which
it reaches Redis, broker and state store both) run the maintenance. Redis keeps the default
visibility timeout (an hour): a killed worker's messages stay away that long. The drain
step's lease (5 s here) brings it back under a new attempt on the other admin host's
worker, which carries on from the weights Ceph has: no weight is sent twice and no OSD
removed twice (Ceph's audit log), no object is lost, the killed host's connections are gone
and the other's carry on, and the maintenance ends as planned.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis

from ceph_tasks.decisions.restoration import PREFIXES, Kind
from ceph_tasks.names import TaskName
from dyrygent.processor import task_id
from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import TIMING, WorkflowBench, bench_on
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from tests.support.services import RedisServer
from tests.support.worker import celery_worker
from workflows.move_once import Strategy
from workflows.plan import Phase

# A sandbox of its own for one scenario: the heavy tier (the CI tier kills a worker
# mid-step in tests/integration/dyrygent/test_durability.py).
pytestmark = [pytest.mark.integration, pytest.mark.full]

#: The steps' lease and the rescue time of ticks and guardians, in seconds.
LEASE = 5.0
#: The engine's tick (its default): a lease found run out waits for the next one.
TICK = 5.0
#: Each admin host's address (the tests' own client uses 127.0.0.1).
ADDRESSES = {"w": "127.0.0.2", "admin2": "127.0.0.3"}


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"),
                         addresses=("127.0.0.1", *ADDRESSES.values()))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory,
          redis: RedisServer) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("loss"), step_lease=LEASE, broker_url=redis.url,
                  redis_url=redis.url, worker_env=_reaching(redis, ADDRESSES["w"])) as made:
        yield made


@pytest.mark.timeout(600)
def test_the_other_admin_host_takes_a_killed_workers_drain_over_within_its_lease(
        bench: WorkflowBench, redis: RedisServer) -> None:
    objects = bench.sandbox.verify()
    plan = bench.plan("decommission", "node2", timing=TIMING,
                      strategy=Strategy.DRAIN_FILL)
    [drain] = [s for s in plan.steps if s.task == TaskName.REWEIGHT and s.phase == Phase.MOVE]
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    assert bench.worker is not None
    with celery_worker("cephmaint.worker:app", bench.logdir,
                       {**bench.env, **_reaching(redis, ADDRESSES["admin2"])},
                       name="admin2") as other:
        workers = {"w": bench.worker, "admin2": other}
        assert _connected(redis) >= set(ADDRESSES.values())
        handle = bench.submit(plan)
        weights = PREFIXES[Kind.WEIGHTS]
        poll(lambda: handle.node(drain.id)["state"] == NodeState.RUNNING
             and any(k.startswith(weights) for k in bench.ledger().entries(plan.reference)),
             timeout=120, interval=0.2, what=lambda _: f"the drain under way: {handle.status()}")
        holder = poll(lambda: _holder(bench, handle.id, drain.id, list(workers)), timeout=60,
                      interval=0.1, what="the worker holding the drain's next step")
        os.killpg(workers[holder].pid, signal.SIGKILL)
        killed = time.monotonic()
        # The killed host's connections are gone; the other host's carry on.
        poll(lambda: ADDRESSES[holder] not in _connected(redis), timeout=30, interval=0.2,
             what=lambda _: f"no connection left from {ADDRESSES[holder]}: {_connected(redis)}")
        poll(lambda: handle.node(drain.id)["attempt"] >= 2, timeout=120, interval=0.2,
             what=lambda _: f"the drain sent again: {handle.events()[-5:]}")
        recovered = time.monotonic() - killed
        final = poll(lambda: handle.status().state if handle.status().state.finished else None,
                     timeout=480, interval=1.0, what=lambda _: f"the end: {handle.status()}")
        assert final == WorkflowState.SUCCESS, handle.status().failed
        bench.wait_restored(plan.reference, list(plan.hosts), after="the decommission")
        assert workers[holder].poll() is not None
        survivor = next(name for name in workers if name != holder)
        assert workers[survivor].poll() is None
        assert ADDRESSES[survivor] in _connected(redis)
    print(f"\nthe drain ran again {recovered:.1f} s after worker {holder} was killed, on "
          "the other admin host's worker")
    # The lease, then at most a tick (or the rescue of a tick the dead worker held).
    assert recovered < LEASE + 2 * TICK + LEASE, recovered
    assert bench.sandbox.verify() == objects
    sent = [m for m in bench.with_ceph(lambda c: changes_since(c.client, mark))
            if ": dispatch" in m]
    reweights = Counter(_weight(m) for m in sent if '"prefix": "osd crush reweight"' in m)
    assert reweights and max(reweights.values()) == 1, reweights
    removals = Counter(m for m in sent if '"prefix": "osd purge' in m or '"prefix": "osd out"' in m)
    assert removals and max(removals.values()) == 1, removals
    bench.refresh_inventory()


def _reaching(redis: RedisServer, address: str) -> dict[str, str]:
    """An admin host's settings: Redis by its own address, as broker and state store."""
    return {"CEPHMAINT_BROKER_URL": redis.url_at(address),
            "CEPHMAINT_REDIS_URL": redis.url_at(address)}


def _connected(redis: RedisServer) -> set[str]:
    """The addresses Redis has client connections on (its local end: each admin host's)."""
    with Redis.from_url(redis.url) as client:
        return {line["laddr"].rsplit(":", 1)[0] for line in client.client_list()}


def _holder(bench: WorkflowBench, workflow_id: str, node_id: str,
            workers: list[str]) -> str | None:
    """The worker holding a node's current attempt until its countdown ends, a second away.

    Between two weight steps the drain's message waits in one worker for its countdown:
    killed then, that worker takes the message with it, whatever the other one does.
    """
    handle = bench.handle(workflow_id)
    index = handle.engine.store.index_of(workflow_id, node_id)
    wanted = task_id(workflow_id, index, int(handle.node(node_id)["attempt"]))
    for name in workers:
        node = f"{name}@{socket.gethostname()}"
        listing = bench.app.control.inspect(destination=[node], timeout=1, limit=1).scheduled()
        for held in (listing or {}).get(node, []):
            due = datetime.fromisoformat(held["eta"])
            if held["request"]["id"] == wanted and due > datetime.now(UTC) + timedelta(seconds=1):
                return name
    return None


def _weight(message: str) -> str:
    """The OSD and weight of an `osd crush reweight` in the audit log."""
    found = re.search(r'"name": "(osd\.\d+)", .*"weight": ([0-9.]+)', message)
    return f"{found[1]}={found[2]}" if found else message
