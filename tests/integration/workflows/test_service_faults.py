"""A replacement rides out its state Redis failing: restarted during the drain and during the
technicians' wait, and away 30 s (the broker with it) during the fill; a health wait rides
out the only monitor stopped longer than the client's command timeout.

The sandbox's Redis is broker and state in one, with an append-only file. Each time the
worker reconnects by itself, lets go of the messages the connection took, and the steps
they belonged to run again once their leases (5 s here) run out. An operator following
with `cephmaint status -f` is told the state cannot be read and is shown the end. The
replacement ends SUCCESS with every object, each weight and removal sent once (Ceph's
audit log), and nothing of it left on the cluster. Each fault's recovery is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from ceph_tasks.tasks.base import progress_key
from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import TIMING, WorkflowBench, bench_on
from tests.support.audit import audit_mark
from tests.support.poll import poll
from tests.support.services import port_open
from tests.support.worker import ROOT
from tests.support.workflows import wait_finished, wait_for_node
from workflows.move_once import Strategy

pytestmark = [pytest.mark.integration, pytest.mark.full]

SPARE = "spare-3.dc1"
LEASE = 5.0


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("faults"), step_lease=LEASE) as made:
        yield made


def redis_away(bench: WorkflowBench, seconds: float) -> float:
    """Stop the sandbox's Redis for seconds and start it again; when it answers (monotonic)."""
    redis = bench.sandbox.service("redis")
    redis.stop()
    time.sleep(seconds)
    redis.start()
    port = int(bench.settings.redis_url.rsplit(":", 1)[1].split("/")[0])
    poll(lambda: port_open("127.0.0.1", port), timeout=30, interval=0.05, what="Redis back")
    return time.monotonic()


def recovery(handle: WorkflowHandle, node: str, seen: int, back: float) -> float:
    """Seconds from Redis answering again to the node's first event after the fault."""
    poll(lambda: len([e for e in handle.events() if e.get("node") == node]) > seen,
         timeout=120, interval=0.2, what=lambda _: f"{node} going on: {handle.events()[-4:]}")
    return time.monotonic() - back


def events_of(handle: WorkflowHandle, node: str) -> int:
    return len([e for e in handle.events() if e.get("node") == node])


@pytest.mark.timeout(900)
def test_a_replacement_rides_out_redis_restarts_and_a_30_s_outage(bench: WorkflowBench) -> None:
    objects = bench.sandbox.verify()
    plan = bench.plan("replace", "node2", new_host=SPARE, timing=TIMING,
                      strategy=Strategy.DRAIN_FILL)
    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    handle = bench.submit(plan)
    follower = subprocess.Popen(
        [sys.executable, "-m", "cephmaint.cli", "status", "-f", "--interval", "1",
         plan.reference], cwd=ROOT, env={**os.environ, **bench.env}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    times: dict[str, float] = {}
    try:
        wait_for_node(handle, "reweight-node2", NodeState.RUNNING, timeout=120)
        assert handle.node("reweight-node2")["state"] == NodeState.RUNNING
        seen = events_of(handle, "reweight-node2")
        times["restart during the drain"] = recovery(
            handle, "reweight-node2", seen, redis_away(bench, 1.0))

        wait_for_node(handle, "confirm-node2", NodeState.RUNNING, timeout=300)
        seen = events_of(handle, "confirm-node2")
        times["restart during the technicians' wait"] = recovery(
            handle, "confirm-node2", seen, redis_away(bench, 1.0))
        confirmed = bench.cli("confirm", plan.reference, "--by", "tech")
        assert confirmed.returncode == 0, confirmed.stderr

        wait_for_node(handle, f"reweight-{SPARE}", NodeState.RUNNING, timeout=300)
        seen = events_of(handle, f"reweight-{SPARE}")
        times["30 s outage during the fill"] = recovery(
            handle, f"reweight-{SPARE}", seen, redis_away(bench, 30.0))

        assert wait_finished(handle, 400) == WorkflowState.SUCCESS, handle.status().to_dict()
        followed, _ = follower.communicate(timeout=60)
    finally:
        follower.kill()
    print("\n" + "\n".join(f"{fault}: the step went on {seconds:.1f} s after Redis answered"
                           for fault, seconds in times.items()))
    assert follower.returncode == 0, followed
    assert "the workflow state cannot be read" in followed
    assert f"workflow {plan.reference}: SUCCESS" in followed
    assert bench.sandbox.verify() == objects
    bench.wait_settled(plan.reference, ["node2", SPARE], after="the replacement")
    sent = bench.changes_sent(mark)
    # The spare's new OSDs take the ids node2's had: its fill is counted apart from the drain.
    removal = next(i for i, m in enumerate(sent) if '"prefix": "osd out"' in m)
    for part in (sent[:removal], sent[removal:]):
        changes = Counter(part)
        assert changes and max(changes.values()) == 1, changes
    bench.refresh_inventory()


@pytest.mark.timeout(600)
def test_a_health_wait_rides_out_its_only_monitor_stopped_and_started_again(
        bench: WorkflowBench) -> None:
    [host] = bench.sandbox.layout().daemon_hosts("mon")
    monitor = bench.sandbox.service(f"mon.{host.label}")
    reference = f"mon-restart-{uuid.uuid4().hex[:8]}"
    waiting = bench.app.send_task("cephmaint.wait_healthy", kwargs={
        "cluster": bench.cluster.name, "reference": reference, "interval": 2,
        "confirmations": 2, "timeout": 300})
    poll(lambda: bench.ledger().recall(reference, progress_key(waiting.id)) is not None,
         timeout=60, interval=0.2, what="the health wait looking")
    monitor.stop()
    stopped = time.monotonic()
    # Longer than the client's command timeout (30 s): a look fails, and is told.
    poll(lambda: "the monitors do not answer" in str(
        bench.ledger().recall(reference, progress_key(waiting.id))), timeout=90, interval=0.5,
         what="the health wait telling the monitors do not answer")
    monitor.start()
    back = time.monotonic()
    done = waiting.get(timeout=240)
    assert done["healthy"] and done["healthy_looks"] == 2, done
    print(f"\nthe only monitor was away {back - stopped:.0f} s; the health wait ended healthy "
          f"{time.monotonic() - back:.1f} s after it was started again")
    bench.wait_healthy()
