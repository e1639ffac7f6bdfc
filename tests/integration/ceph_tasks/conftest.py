"""Fixtures for maintenance tasks run by a real Celery worker against a real sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from celery.result import AsyncResult

from ceph_tasks.app import make_app
from ceph_tasks.ceph import Ceph, RadosClient
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.ledger_mirror import CLUSTER_KEY
from ceph_tasks.settings import Settings
from cephmaint.sandbox.sandbox import Sandbox
from inventory import Cluster, load_inventory
from tests.support.worker import celery_worker


@dataclass
class TaskBench:
    """A sandbox, a worker running every cephmaint task on it, and a client app."""

    sandbox: Sandbox
    app: Celery
    settings: Settings
    logdir: Path

    @property
    def cluster(self) -> Cluster:
        """The sandbox's cluster as its inventory describes it."""
        layout = self.sandbox.layout()
        return load_inventory(layout.inventory_path).cluster(layout.name)

    @property
    def name(self) -> str:
        """The sandbox's cluster name, as tasks take it."""
        return self.sandbox.layout().name

    def ceph(self) -> Ceph:
        """A fresh typed client of the sandbox cluster (close its .client when done)."""
        return Ceph(RadosClient.for_cluster(self.cluster))

    def ledger(self) -> RedisLedger:
        """The ledger the worker writes to."""
        return RedisLedger.from_url(self.settings.redis_url)

    def send(self, task: str, **kwargs: Any) -> AsyncResult:
        """Send a task by name to the worker, its reference's cluster recorded as a submit does."""
        if isinstance(kwargs.get("reference"), str) and isinstance(kwargs.get("cluster"), str):
            self.ledger().remember(kwargs["reference"], CLUSTER_KEY, kwargs["cluster"])
        return self.app.send_task(task, kwargs=kwargs)

    def run(self, task: str, *, wait: float = 240, **kwargs: Any) -> Any:
        """Run a task on the worker, waiting at most wait seconds; its result or its error."""
        return self.send(task, **kwargs).get(timeout=wait, propagate=True)


def _bench(box: Sandbox, logdir: Path, inventory: Path | None = None) -> Iterator[TaskBench]:
    layout = box.layout()
    inventory = inventory or layout.inventory_path
    settings = Settings(broker_url=layout.redis_url, redis_url=layout.redis_url,
                        inventory_path=inventory)
    env = {"CEPHMAINT_BROKER_URL": settings.broker_url,
           "CEPHMAINT_REDIS_URL": settings.redis_url,
           "CEPHMAINT_INVENTORY": str(inventory)}
    app = make_app(settings, name=f"client-{uuid.uuid4().hex[:6]}")
    with celery_worker("cephmaint.worker:app", logdir, env):
        yield TaskBench(box, app, settings, logdir)


@pytest.fixture(scope="module")
def fresh_bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaskBench]:
    """A sandbox of this test module's own (its tests may change the cluster) and a worker."""
    root = tmp_path_factory.mktemp("taskbench")
    box = Sandbox(root / "sbx")
    try:
        box.up(timeout=180)
        yield from _bench(box, root / "logs")
    finally:
        box.down()


@pytest.fixture(scope="module")
def bench_inventory() -> Path | None:
    """The inventory shared_bench's worker loads; None: the sandbox's own.

    A test module overrides this fixture to give the worker a copy with more in it, such
    as monitoring or notification targets pointing at services the module runs.
    """
    return None


@pytest.fixture(scope="module")
def shared_bench(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory,
                 bench_inventory: Path | None) -> Iterator[TaskBench]:
    """A worker on the session's shared sandbox: for tests that leave the cluster as found."""
    yield from _bench(sandbox, tmp_path_factory.mktemp("shared-logs"), bench_inventory)




@pytest.fixture
def reference() -> str:
    """A maintenance reference of the test's own."""
    return f"test-{uuid.uuid4().hex[:12]}"
