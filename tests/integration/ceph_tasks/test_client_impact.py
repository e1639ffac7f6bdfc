"""A weight step holds on real slow ops of the sandbox and goes on when they clear.

memstore reports no latency in `osd perf`, so the slowness is real and Ceph's own: every
message an OSD dispatches is delayed (osd_debug_inject_dispatch_delay_*), a client writes,
and a low osd_op_complaint_time turns the waiting ops into SLOW_OPS. The test prints how
long the hold takes to notice and to release (pytest -s shows them).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery.result import AsyncResult

from ceph_tasks.ceph import Ceph
from ceph_tasks.tasks.base import progress_key
from tests.integration.ceph_tasks.conftest import TaskBench
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll

# The heavy tier: the client-impact holds are tested with fakes in every tier; here on
# real slow ops (a minute and a half of a sandbox's time).
pytestmark = [pytest.mark.integration, pytest.mark.full]

#: The slow OSD is on node2; node0 is drained, so the hold is not about the drained host.
SLOW_OSD = "osd.4"
TARGET, STEP = 0.5, 0.05
#: The sandbox inventory's throttles.step_interval_seconds: a drain looks this often.
STEP_INTERVAL = 2.0
INJECT = {"osd_debug_inject_dispatch_delay_probability": "1",
          "osd_debug_inject_dispatch_delay_duration": "3"}


def set_config(ceph: Ceph, who: str, name: str, value: str) -> None:
    ceph.client.mon_command("config set", who=who, name=name, value=value)


def slow_ops(ceph: Ceph) -> str | None:
    check = ceph.status().health.checks.get("SLOW_OPS")
    return None if check is None else check.summary.message


@pytest.fixture
def ceph(fresh_bench: TaskBench) -> Iterator[Ceph]:
    client = fresh_bench.ceph()
    try:
        yield client
    finally:
        client.client.close()


@contextmanager
def client_load(conf: Path, keyring: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Clients writing small objects, four at a time, until the block ends."""
    bench = subprocess.Popen(
        ["rados", "--conf", str(conf), "--keyring", str(keyring), "-p", "data",
         "bench", "600", "write", "-t", "4", "-b", "4096", "--run-name", "impact",
         "--no-cleanup"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield bench
    finally:
        bench.terminate()
        bench.wait(timeout=30)


def weights(ceph: Ceph) -> dict[int, float]:
    """The drained host's CRUSH weights."""
    return {o: w for o, w in ceph.osd_tree().crush_weights().items() if o in (0, 1)}


def progress(bench: TaskBench, reference: str, result: AsyncResult) -> dict[str, Any]:
    return dict(bench.ledger().recall(reference, progress_key(result.id)) or {})


def test_a_drain_holds_on_real_slow_ops_mid_way_and_goes_on_when_they_clear(
        fresh_bench: TaskBench, ceph: Ceph, reference: str) -> None:
    layout = fresh_bench.sandbox.layout()
    set_config(ceph, "osd", "osd_op_complaint_time", "1")
    # Small steps, two seconds apart: the drain is still under way when the ops turn slow.
    result = fresh_bench.send("cephmaint.reweight", cluster=fresh_bench.name,
                              reference=reference, host="node0", target=TARGET, step=STEP,
                              timeout=600)
    poll(lambda: weights(ceph) != {0: 1.0, 1: 1.0}, timeout=60, interval=0.2,
         give_up=result.ready, what="the drain's first weight step")

    injected = time.monotonic()
    for name, value in INJECT.items():
        set_config(ceph, SLOW_OSD, name, value)
    with client_load(layout.conf_path, layout.keyring_path) as load:
        raised = poll(lambda: slow_ops(ceph), timeout=60, interval=0.2,
                      what="SLOW_OPS under the injected delay")
        slow_at = time.monotonic()

        def holding() -> dict[str, Any] | None:
            seen = progress(fresh_bench, reference, result)
            return seen if str(seen.get("status", "")).startswith("holding: slow ops on ") \
                else None

        held = poll(holding, timeout=60, interval=0.2, give_up=result.ready,
                    what=lambda _: f"a hold on slow ops ({raised}); the drain: "
                                   f"{progress(fresh_bench, reference, result)}, "
                                   f"{result.result if result.ready() else 'running'}")
        noticed_at = time.monotonic()
        # The first to complain may be the replicas waiting on the slow OSD.
        assert re.fullmatch(r"holding: slow ops on osd\.\d+(, osd\.\d+)* for \d+ s",
                            held["status"]), held
        # More looks, and still no weight moves: the hold lasts while the ops are slow.
        mark = audit_mark(ceph.client)
        at_hold = weights(ceph)
        assert min(at_hold.values()) > TARGET, "the drain ended before the hold"
        time.sleep(3 * STEP_INTERVAL)
        assert slow_ops(ceph) is not None
        assert weights(ceph) == at_hold
        assert [c for c in changes_since(ceph.client, mark) if "osd crush reweight" in c] == []
        assert not result.ready()

        for name in INJECT:
            set_config(ceph, SLOW_OSD, name, "0")
        load.terminate()
    cleared_at = time.monotonic()
    poll(lambda: slow_ops(ceph) is None, timeout=90, interval=0.2,
         what="SLOW_OPS to clear once the delay and the load stop")
    gone_at = time.monotonic()
    poll(lambda: weights(ceph) != at_hold, timeout=60, interval=0.2, give_up=result.ready,
         what="the held drain's next weight step")
    stepped_at = time.monotonic()

    done = result.get(timeout=180, propagate=True)
    assert done["done"] and done["weights"] == {"osd.0": TARGET, "osd.1": TARGET}
    print(f"\nclient-impact hold on the sandbox: SLOW_OPS raised {slow_at - injected:.1f} s "
          f"after the injection; the running drain reported its hold "
          f"{noticed_at - slow_at:.1f} s after SLOW_OPS; SLOW_OPS cleared "
          f"{gone_at - cleared_at:.1f} s after the delay and the load stopped; the next "
          f"weight step {stepped_at - gone_at:.1f} s after SLOW_OPS cleared "
          f"({stepped_at - cleared_at:.1f} s after the stop)")
