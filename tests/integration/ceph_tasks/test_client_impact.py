"""A weight step holds on real slow ops of the sandbox and goes on when they clear.

memstore reports no latency in `osd perf`, so the slowness is real and Ceph's own: every
message an OSD dispatches is delayed (osd_debug_inject_dispatch_delay_*), a client writes,
and a low osd_op_complaint_time turns the waiting ops into SLOW_OPS. The test prints how
long the hold takes to notice and to release (pytest -s shows them).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.result import AsyncResult

from ceph_tasks.ceph import Ceph
from ceph_tasks.tasks.base import progress_key
from tests.integration.ceph_tasks.conftest import TaskBench
from tests.support.audit import changes_since, settled_mark
from tests.support.poll import poll

pytestmark = pytest.mark.integration

#: The slow OSD is on node2; node0 is drained, so the hold is not about the drained host.
SLOW_OSD = "osd.4"
DRAINED = {0, 1}
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


@pytest.fixture
def client_load(fresh_bench: TaskBench) -> Iterator[subprocess.Popen[bytes]]:
    """Clients writing small objects, four at a time, until the test stops them."""
    layout = fresh_bench.sandbox.layout()
    bench = subprocess.Popen(
        ["rados", "--conf", str(layout.conf_path), "--keyring", str(layout.keyring_path),
         "-p", "data", "bench", "600", "write", "-t", "4", "-b", "4096",
         "--run-name", "impact", "--no-cleanup"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield bench
    finally:
        bench.terminate()
        bench.wait(timeout=30)


def progress(bench: TaskBench, reference: str, result: AsyncResult) -> dict[str, Any]:
    return dict(bench.ledger().recall(reference, progress_key(result.id)) or {})


def test_a_weight_step_holds_on_real_slow_ops_and_goes_on_when_they_clear(
        fresh_bench: TaskBench, ceph: Ceph, client_load: subprocess.Popen[bytes],
        reference: str) -> None:
    before = ceph.osd_tree().crush_weights()
    set_config(ceph, "osd", "osd_op_complaint_time", "1")
    injected = time.monotonic()
    for name, value in INJECT.items():
        set_config(ceph, SLOW_OSD, name, value)
    raised = poll(lambda: slow_ops(ceph), timeout=60, interval=0.5,
                  what="SLOW_OPS under the injected delay")
    slow_at = time.monotonic()

    mark = settled_mark(ceph.client)
    result = fresh_bench.send("cephmaint.reweight", cluster=fresh_bench.name,
                              reference=reference, host="node0", target=0.5, step=0.5,
                              timeout=600)

    def holding() -> dict[str, Any] | None:
        seen = progress(fresh_bench, reference, result)
        return seen if str(seen.get("status", "")).startswith("holding: slow ops on ") else None

    held = poll(holding, timeout=60, interval=0.2, give_up=result.ready,
                what=lambda _: f"a hold on slow ops ({raised}); "
                               f"seen {progress(fresh_bench, reference, result)}")
    noticed_at = time.monotonic()
    assert SLOW_OSD in held["status"], held
    # Several more looks, and still no weight moved: the hold lasts while the ops are slow.
    time.sleep(6)
    assert not result.ready()
    assert ceph.osd_tree().crush_weights() == before
    assert slow_ops(ceph) is not None
    assert [c for c in changes_since(ceph.client, mark) if "osd crush reweight" in c] == []

    for name in INJECT:
        set_config(ceph, SLOW_OSD, name, "0")
    client_load.terminate()
    cleared_at = time.monotonic()
    poll(lambda: slow_ops(ceph) is None, timeout=90, interval=0.5,
         what="SLOW_OPS to clear once the delay and the load stop")
    gone_at = time.monotonic()

    def stepped() -> bool:
        weights = ceph.osd_tree().crush_weights()
        return all(weights[osd] == 0.5 for osd in DRAINED)

    poll(stepped, timeout=60, interval=0.2, what="the held weight step to be taken")
    stepped_at = time.monotonic()
    done = result.get(timeout=120, propagate=True)
    assert done["done"] and done["weights"] == {"osd.0": 0.5, "osd.1": 0.5}

    print(f"\nclient-impact hold on the sandbox: SLOW_OPS raised {slow_at - injected:.1f} s "
          f"after the injection; hold reported {noticed_at - slow_at:.1f} s after SLOW_OPS "
          f"(task sent then); SLOW_OPS cleared {gone_at - cleared_at:.1f} s after the "
          f"injection and load stopped; weight step {stepped_at - cleared_at:.1f} s after "
          f"that stop ({stepped_at - gone_at:.1f} s after SLOW_OPS cleared)")
