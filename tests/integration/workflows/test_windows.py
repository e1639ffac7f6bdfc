"""What `run` refuses before writing, and a window that opens while a workflow waits for it.

On one sandbox: an operator's `noout`, there before the maintenance, does not hold it back
while a check raised afterwards does; an OSD down refuses `run`; an inventory window that
opens 40 s later refuses a plain `run`, and `run --queue` starts a decommission whose drain
waits, visibly (in `status` and `list`), until the window opens. The refusals are checked
against Redis (no key written) and Ceph's audit log (no command sent).
"""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from dyrygent.states import NodeState, WorkflowState
from inventory import Inventory, MaintenanceWindow, Weekday, load_inventory, write_inventory
from tests.integration.workflows.conftest import WorkflowBench, bench_on
from tests.support.audit import audit_mark, changes_since
from tests.support.poll import poll
from tests.support.workflows import wait_finished, wait_for_node

# In --full: the CI tier's minutes go to the Reef matrix; admission and windows are unit-
# and component-tested, and this module proves them on a sandbox.
pytestmark = [pytest.mark.integration, pytest.mark.full]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkflowBench]:
    with bench_on(tmp_path_factory.mktemp("windows")) as made:
        yield made


def redis_keys(bench: WorkflowBench) -> set[bytes]:
    client = redis.Redis.from_url(bench.settings.redis_url)
    try:
        return set(client.keys("*"))
    finally:
        client.close()


def test_health_is_judged_against_the_start_and_a_run_refused_on_it_writes_nothing(
        bench: WorkflowBench) -> None:
    cluster = bench.cluster.name
    def run_task(name: str, **kwargs: object) -> object:
        return bench.app.send_task(f"cephmaint.{name}", kwargs={"cluster": cluster, **kwargs}
                                   ).get(timeout=120, propagate=False)

    bench.with_ceph(lambda c: c.client.mon_command("osd set", key="noout"))
    try:
        # The operator's noout is there before the maintenance: HEALTH_WARN, not a reason.
        started = run_task("check_healthy_to_start", reference="probe")
        assert isinstance(started, dict) and list(started["baseline"]) == ["OSDMAP_FLAGS"]
        waited = run_task("wait_healthy", reference="probe", interval=1, confirmations=2,
                          timeout=60)
        assert isinstance(waited, dict) and waited["health"] == "HEALTH_WARN", waited
        # A check the maintenance did not start with holds it back.
        bench.with_ceph(lambda c: c.client.mon_command("osd set-group", flags="noout",
                                                       who=["node1"]))
        held = run_task("wait_healthy", reference="probe", interval=1, timeout=5)
        assert "OSD_FLAGS" in str(held), held
        bench.with_ceph(lambda c: c.client.mon_command("osd unset-group", flags="noout",
                                                       who=["node1"]))

        bench.hostctl("node2", "stop-osd", "5")
        poll(lambda: bench.tree().down_osds() == (5,), timeout=120, interval=0.5,
             what="osd.5 down")
        shown = bench.cli("plan", "decommission", "node1")
        assert shown.returncode == 0, shown.stderr
        assert "health: OSD_DOWN (1 osds down): blocks: data availability" in shown.stdout
        assert "health: OSDMAP_FLAGS (noout flag(s) set): does not block" in shown.stdout
        keys, mark = redis_keys(bench), bench.with_ceph(lambda c: audit_mark(c.client))
        refused = bench.cli("run", "decommission", "node1")
        assert refused.returncode == 1, refused.stderr
        assert "decommission not started, nothing written: the cluster is not healthy" in (
            refused.stderr)
        assert "OSD_DOWN" in refused.stderr and "noout" not in refused.stderr
        assert refused.stdout == "" and redis_keys(bench) == keys
        assert bench.with_ceph(lambda c: changes_since(c.client, mark)) == []
    finally:
        bench.hostctl("node2", "start-osd", "5")
        bench.with_ceph(lambda c: c.client.mon_command("osd unset", key="noout"))
    bench.wait_healthy()


def test_outside_its_window_a_run_is_refused_and_a_queued_one_waits_for_the_opening(
        bench: WorkflowBench) -> None:
    opens = (datetime.now(UTC) + timedelta(seconds=40)).replace(microsecond=0)
    window = MaintenanceWindow(days=frozenset(Weekday), start=opens.time(),
                               end=(opens + timedelta(minutes=30)).time())
    [cluster] = load_inventory(bench.inventory_path).clusters
    write_inventory(Inventory(clusters=(cluster.model_copy(
        update={"maintenance_windows": (window,)}),)), bench.inventory_path)
    weights = bench.tree().crush_weights()

    keys, mark = redis_keys(bench), bench.with_ceph(lambda c: audit_mark(c.client))
    refused = bench.cli("run", "decommission", "node2")
    assert refused.returncode == 1, refused.stderr
    assert f"waiting for window: opens {opens:%a %H:%M} UTC" in refused.stderr
    assert "--queue" in refused.stderr and redis_keys(bench) == keys
    assert bench.with_ceph(lambda c: changes_since(c.client, mark)) == []

    queued = bench.cli("run", "decommission", "node2", "--queue", "--strategy", "drain-fill")
    assert queued.returncode == 0, queued.stderr
    found = re.search(r"started workflow ([^;\s]+)", queued.stdout)
    assert found, queued.stdout
    handle = bench.handle(found[1])
    wait_for_node(handle, "reweight-node2", NodeState.RUNNING)
    # Prepared (flags, downtime), but not one weight changed before the window opens.
    def waiting() -> str | None:
        shown = bench.cli("status", handle.id).stdout
        return shown if "waiting for window: opens" in shown else None

    status = poll(waiting, timeout=30, interval=1, what="status showing the wait")
    assert f"opens {opens:%a %H:%M} UTC" in status
    # The fleet's list says what it waits for, by whom it was started.
    listed = json.loads(bench.cli("list", "--state", "waiting", "--json").stdout)
    assert [(r["reference"], r["by"]) for r in listed] == [(handle.id, getpass.getuser())]
    assert f"waiting for window: opens {opens:%a %H:%M} UTC" in listed[0]["detail"]
    assert bench.tree().crush_weights() == weights

    def drained_some() -> bool:
        now = bench.tree().crush_weights()
        return any(now[osd] < weights[osd] for osd in bench.tree().hosts()["node2"])

    poll(drained_some, timeout=120, interval=0.5, what=lambda _: "a weight step after opening")
    moved = datetime.now(UTC)
    assert moved >= opens
    print(f"first weight step {(moved - opens).total_seconds():.1f} s after the opening")
    handle.cancel()
    assert wait_finished(handle, 30) == WorkflowState.CANCELLED
    ended = bench.cli("list", "--state", "cancelled", "--since", "1h").stdout
    assert re.search(rf"^{re.escape(handle.id)}\s+decommission\s+\S+\s+node2\s+cancelled\s",
                     ended, re.MULTILINE), ended
    bench.wait_restored(handle.id, ["node2"], after="the cancel", timeout=180)
    bench.wait_healthy()
    assert bench.tree().crush_weights() == weights
