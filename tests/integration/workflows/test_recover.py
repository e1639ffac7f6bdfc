"""Redis lost with every workflow's state: `recover` finds what a drain left and puts it back.

The worker is killed in the middle of a decommission's drain and the Redis holding the
broker, the workflows and the ledger is emptied (what a Redis without persistence does on
a restart). Only the copies of the ledger kept on the cluster are left; from them
`cephmaint recover` lists what is still in effect and `--apply` runs it back through the
one restore path and the throttled reweight, each command once (Ceph's audit log).
"""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from collections.abc import Iterator

import pytest
import redis

from ceph_tasks.names import TaskName
from dyrygent.states import NodeState, WorkflowState
from tests.integration.workflows.conftest import TIMING, WorkflowBench, bench_on
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from tests.support.worker import celery_worker
from workflows.move_once import Strategy
from workflows.plan import Phase

pytestmark = [pytest.mark.integration, pytest.mark.full]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("recover")) as made:
        yield made


@pytest.mark.timeout(600)
def test_after_redis_lost_its_data_recover_puts_back_what_the_drain_left(
        bench: WorkflowBench) -> None:
    objects = bench.sandbox.verify()
    name = bench.cluster.name
    plan = bench.plan("decommission", "node2", timing=TIMING,
                      strategy=Strategy.DRAIN_FILL)
    [drain] = [s for s in plan.steps if s.task == TaskName.REWEIGHT and s.phase == Phase.MOVE]
    handle = bench.submit(plan)
    poll(lambda: handle.node(drain.id)["state"] == NodeState.RUNNING
         and min(bench.tree().crush_weights(frozenset({4, 5})).values()) < 1.0,
         timeout=120, interval=0.2, what=lambda _: f"the drain under way: {handle.status()}")
    assert bench.worker is not None
    os.killpg(bench.worker.pid, signal.SIGKILL)
    redis.Redis.from_url(bench.settings.redis_url).flushall()
    assert plan.reference in bench.copies()

    found = bench.cli("recover", "--cluster", name)
    assert found.returncode == 1, found.stderr
    assert f"  {plan.reference}:" in found.stdout
    assert "noscrub" in found.stdout and "monitoring downtime of host node2" in found.stdout
    assert re.search(r"osd\.[45] CRUSH weight 0\.\d+, was 1", found.stdout), found.stdout
    assert "nothing changed" in found.stdout

    mark = bench.with_ceph(lambda c: audit_mark(c.client))
    with celery_worker("cephmaint.worker:app", bench.logdir, bench.env, name="recovery"):
        applied = bench.cli("recover", "--cluster", name, "--apply")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert f"recovery started: {plan.reference}" in applied.stdout
        recovery = bench.handle(plan.reference)
        final = poll(lambda: recovery.status().state if recovery.status().state.finished
                     else None, timeout=300, interval=1.0,
                     what=lambda _: f"the recovery's end: {recovery.status()}")
        assert final == WorkflowState.SUCCESS, recovery.status().failed
        bench.wait_restored(plan.reference, ["node2"], after="the recovery")
        poll(lambda: plan.reference not in bench.copies(), timeout=30, interval=0.5,
             what=lambda _: f"the copies dropped: {bench.copies()}")
    assert bench.tree().crush_weights(frozenset({4, 5})) == {4: 1.0, 5: 1.0}
    again = bench.cli("recover", "--cluster", name)
    assert again.returncode == 0 and "nothing left behind" in again.stdout, again.stdout
    assert bench.sandbox.verify() == objects
    sent = bench.with_ceph(lambda c: changes_since(c.client, mark))
    restores = Counter(_command(m) for m in sent if ": dispatch" in m and (
        '"prefix": "osd pool set"' in m or '"prefix": "osd crush reweight"' in m))
    assert restores and max(restores.values()) == 1, restores


def _command(message: str) -> str:
    """A command's arguments in the audit log, without the parts that differ per send."""
    found = re.search(r"cmd='?(\[.*\])'?: dispatch", message)
    return found[1] if found else message
