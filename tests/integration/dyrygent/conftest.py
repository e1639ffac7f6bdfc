"""Integration fixtures: real `celery worker` subprocesses on Redis or RabbitMQ brokers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from dyrygent.tasks import processor_for
from tests.integration.dyrygent.app import make_app
from tests.support.worker import wait_started

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Cluster:
    """One test's broker, state store, client app and the workers it started."""

    broker: str
    state: str
    prefix: str
    queue: str
    logdir: Path
    app: Celery
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    #: Environment the workers' app reads (DYRYGENT_TEST_VISIBILITY, DYRYGENT_TEST_LEASE).
    worker_env: dict[str, str] = field(default_factory=dict)

    @property
    def redis(self) -> redis.Redis:  # type: ignore[type-arg]
        return redis.Redis.from_url(self.state, decode_responses=True)

    def start_worker(self) -> subprocess.Popen[bytes]:
        """Start a prefork worker with concurrency 2 and wait until it consumes."""
        n = len(self.workers)
        log = self.logdir / f"worker{n}.log"
        env = {**os.environ, "DYRYGENT_TEST_BROKER": self.broker, "DYRYGENT_TEST_STATE": self.state,
               "DYRYGENT_TEST_PREFIX": self.prefix, "DYRYGENT_TEST_QUEUE": self.queue,
               **self.worker_env}
        cmd = [sys.executable, "-m", "celery", "-A", "tests.integration.dyrygent.app", "worker",
               "-P", "prefork", "-c", "2", "-Q", self.queue, "-n", f"{self.prefix}-{n}@%h",
               "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "info",
               "--logfile", str(log)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.workers.append(proc)
        wait_started(proc, log, name=f"{self.prefix}-{n}", timeout=60)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a worker and all its pool processes at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop_all(self) -> None:
        """Stop every worker this cluster started."""
        for proc in self.workers:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    self.kill(proc)

    def sig(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """A signature of one test task, by name."""
        return self.app.signature(f"dytest.{name}", args=args, kwargs=kwargs)

    def sig_i(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """An immutable signature of one test task."""
        return self.sig(name, *args, **kwargs).set(immutable=True)

    def execs(self) -> dict[str, int]:
        """Body executions so far, per node (dyrygent) or per tag (plain Celery)."""
        return {k: int(v) for k, v in self.redis.hgetall(f"{self.prefix}:execs").items()}

    @property
    def processor(self) -> Any:
        return processor_for(self.app)


def _cluster(kind: str, redis_url: str, tmp: Path, request: pytest.FixtureRequest) -> Cluster:
    base = redis_url.rsplit("/", 1)[0]
    broker = f"{base}/1" if kind == "redis" else request.getfixturevalue("amqp_url")
    prefix = f"dyi{uuid.uuid4().hex[:10]}"
    state = f"{base}/2"
    app = make_app(broker, state, prefix, queue=prefix)
    return Cluster(broker, state, prefix, prefix, tmp, app)


def _teardown(cluster: Cluster) -> None:
    cluster.stop_all()
    if cluster.broker.startswith("amqp"):
        try:
            with cluster.app.connection_for_write() as conn:
                conn.default_channel.queue_delete(cluster.queue)
        except Exception:  # the queue may never have been declared
            pass
    client = cluster.redis
    for key in client.scan_iter(f"{cluster.prefix}*", count=1000):
        client.delete(key)


@pytest.fixture(params=["redis", "amqp"], scope="module")
def shared(request: pytest.FixtureRequest, redis_url: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One running worker shared by a module's functional tests, per broker."""
    cluster = _cluster(request.param, redis_url, tmp_path_factory.mktemp("dyw"), request)
    try:
        cluster.start_worker()
        yield cluster
    finally:
        _teardown(cluster)


@pytest.fixture(params=["redis", "amqp"])
def fresh(request: pytest.FixtureRequest, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """A cluster without workers yet; the test starts and kills them."""
    cluster = _cluster(request.param, redis_url, tmp_path, request)
    try:
        yield cluster
    finally:
        _teardown(cluster)
