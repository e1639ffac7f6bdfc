"""One pool of workers, two clusters: a maintenance on each at once, each ending intact.

Two sandboxes run side by side (their own names, addresses, ports and Redis); one
inventory names both clusters, and one worker, on the first sandbox's Redis, carries out
a decommission on each at the same time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ceph_tasks.settings import Settings
from cephmaint.sandbox.cluster import connect
from cephmaint.sandbox.sandbox import Sandbox
from dyrygent.states import WorkflowState
from inventory import Inventory, load_inventory, write_inventory
from tests.integration.workflows.conftest import TIMING
from tests.support.worker import celery_worker
from tests.support.workflows import wait_finished
from workflows.engine import worker_app
from workflows.planning import Kind, plan_maintenance, target_cluster
from workflows.snapshot import read_cluster_state
from workflows.submission import submit

pytestmark = [pytest.mark.integration, pytest.mark.full]


@pytest.fixture(scope="module")
def two_sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Sandbox]]:
    """Two default sandboxes, up side by side."""
    root = tmp_path_factory.mktemp("two")
    boxes = [Sandbox(root / "east"), Sandbox(root / "west")]
    try:
        for box in boxes:
            box.up(timeout=180)
        yield boxes
    finally:
        for box in boxes:
            box.down()


@pytest.mark.timeout(900)
def test_one_worker_pool_carries_out_a_maintenance_on_each_cluster_at_once(
        two_sandboxes: list[Sandbox], tmp_path: Path) -> None:
    east, west = (box.layout() for box in two_sandboxes)
    assert east.subnet != west.subnet and east.redis_url != west.redis_url
    clusters = tuple(load_inventory(layout.inventory_path).cluster(layout.name)
                     for layout in (east, west))
    inventory = tmp_path / "inventory.yaml"
    write_inventory(Inventory(clusters=clusters), inventory)
    settings = Settings(broker_url=east.redis_url, redis_url=east.redis_url,
                        inventory_path=inventory)
    env = {"CEPHMAINT_BROKER_URL": settings.broker_url,
           "CEPHMAINT_REDIS_URL": settings.redis_url, "CEPHMAINT_INVENTORY": str(inventory)}
    app = worker_app(settings, name=f"client-{uuid.uuid4().hex[:6]}")
    with celery_worker("cephmaint.worker:app", tmp_path / "logs", env, concurrency=4):
        handles = []
        for cluster in clusters:
            chosen = target_cluster(Kind.DECOMMISSION, "node1", settings.inventory(),
                                    cluster.name)
            plan = plan_maintenance(Kind.DECOMMISSION, "node1", cluster=chosen,
                                    state=read_cluster_state(chosen), timing=TIMING)
            handles.append(submit(plan, app))
        # Both run together: the second was submitted before the first could finish.
        assert all(not h.status().state.finished for h in handles)
        for handle in handles:
            assert wait_finished(handle, 600) == WorkflowState.SUCCESS, handle.status()
    for box in two_sandboxes:
        assert box.verify() == 400
        report = box.status()
        assert report.health == "HEALTH_OK" and report.osds_total == 4
        with connect(box.layout()) as mon:
            tree = mon.command("osd tree")
        assert "node1" not in {n["name"] for n in tree["nodes"] if n["type"] == "host"}
