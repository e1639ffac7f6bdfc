"""Redis, broker and state store in one, restarted and then away for 30 s during a workflow.

The workers reconnect with back-off and carry on. What a worker held when the connection
went (a retry waiting out its countdown, a prefetched message) stays with the broker until
its visibility timeout (an hour, kept here); the worker lets go of those steps, their
leases (2 s here) run out and the tick sends them again under a new attempt. The workflow
ends, every step's body ran to its end once, and each outage costs about the lease.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState
from dyrygent.workflows import Workflow
from tests.integration.dyrygent.app import make_app
from tests.integration.dyrygent.conftest import Cluster, _teardown
from tests.support.poll import poll
from tests.support.services import RedisServer

pytestmark = pytest.mark.integration

LEASE = 2.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own: broker and state, restarted by the test."""
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    try:
        yield redis_server
    finally:
        redis_server.stop()


@pytest.fixture
def cluster(server: RedisServer, tmp_path: Path) -> Iterator[Cluster]:
    base = server.url.rsplit("/", 1)[0]
    prefix = "outage"
    app = make_app(f"{base}/1", f"{base}/2", prefix, queue=prefix, visibility=3600,
                   lease=LEASE, tick_rescue=LEASE)
    made = Cluster(f"{base}/1", f"{base}/2", prefix, prefix, tmp_path, app,
                   worker_env={"DYRYGENT_TEST_VISIBILITY": "3600",
                               "DYRYGENT_TEST_LEASE": str(LEASE),
                               "DYRYGENT_TEST_TICK_RESCUE": str(LEASE)})
    engine = made.processor.engine  # the client arms the first tick: the same settings
    engine.settings = dataclasses.replace(engine.settings, lease=LEASE, tick_rescue=LEASE)
    try:
        yield made
    finally:
        _teardown(made)


def running(handle: WorkflowHandle, node: str) -> bool:
    return handle.node(node)["state"] == NodeState.RUNNING


def outage(server: RedisServer, seconds: float) -> float:
    """Stop Redis for seconds, start it again; when it answers again (monotonic)."""
    server.stop()
    time.sleep(seconds)
    server.start()
    return time.monotonic()


@pytest.mark.timeout(300)
def test_workers_ride_out_a_redis_restart_and_a_30_s_outage_and_each_step_runs_once(
        server: RedisServer, cluster: Cluster) -> None:
    c = cluster
    worker = c.start_worker()
    wf = Workflow()
    # Steps that wait as maintenance steps do: a body that asks to run again later.
    wf.add_signature(c.sig_i("until", tag="drain", times=6, countdown=1.0), node_id="drain")
    wf.add_signature(c.sig_i("t", tag="between"), node_id="between", dependencies=("drain",))
    wf.add_signature(c.sig_i("until", tag="fill", times=6, countdown=1.0), node_id="fill",
                     dependencies=("between",))
    wf.add_signature(c.sig_i("t", tag="end"), node_id="end", dependencies=("fill",))
    handle = wf.apply_async()
    poll(lambda: running(handle, "drain") and c.redis.hget(f"{c.prefix}:tries", "drain"),
         timeout=60, interval=0.05, what=lambda _: f"the drain waiting: {handle.events()}")
    back = outage(server, 2.0)
    poll(lambda: handle.node("drain")["state"] == NodeState.SUCCESS, timeout=60, interval=0.2,
         what=lambda _: f"the drain done after the restart: {handle.events()[-6:]}")
    after_restart = time.monotonic() - back
    poll(lambda: running(handle, "fill") and c.redis.hget(f"{c.prefix}:tries", "fill"),
         timeout=60, interval=0.05, what=lambda _: f"the fill waiting: {handle.events()}")
    back = outage(server, 30.0)
    handle.wait(timeout=120)
    after_outage = time.monotonic() - back
    assert worker.poll() is None, "the worker exited instead of reconnecting"
    assert c.execs() == {f"dy-{wf.id}-{i}": 1 for i in range(4)}
    print(f"\nafter a restart of Redis the drain ended {after_restart:.1f} s later; after a "
          f"30 s outage the workflow ended {after_outage:.1f} s later")
