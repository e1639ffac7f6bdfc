"""Submitting a plan against a real Redis: the lease first, and a broker refusal undone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from tests.component.workflows.test_leases import keys
from tests.support.lab import healthy_state, lab_cluster
from tests.support.services import RedisServer, private_redis
from tests.support.tls import make_certificates
from workflows.builders import plan_decommission, plan_replace
from workflows.concurrency import Concurrency
from workflows.engine import worker_app
from workflows.errors import ClusterBusy, StartRefused, SubmitError
from workflows.leases import RedisLeases
from workflows.plan import MaintenancePlan
from workflows.submission import check_services, start, submit

DEAD_BROKER = "redis://127.0.0.1:1/0"
QUIET = {"check_domains": lambda *_: []}


def alone(plan: MaintenancePlan) -> dict[str, Any]:
    """The plan as recorded, on a cluster name of its own: no other test's lease is there."""
    return {**plan.to_dict(), "cluster": f"lab-{uuid.uuid4().hex[:8]}"}


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis[bytes]]:
    """A client of the session's private Redis."""
    found: redis.Redis[bytes] = redis.Redis.from_url(redis_url)
    yield found
    found.close()


def test_a_start_the_broker_refuses_leaves_no_lease_record_or_workflow_behind(
        redis_url: str, client: redis.Redis[bytes]) -> None:
    app = worker_app(Settings(broker_url=DEAD_BROKER, redis_url=redis_url), name="dead")
    plan = alone(plan_decommission("node1", cluster=lab_cluster(), state=healthy_state(),
                                   **QUIET))
    before = keys(client, "")
    with pytest.raises(SubmitError, match=r"did not take the start of .*nothing was left"):
        start(plan, app, concurrency=Concurrency())
    after = keys(client, "")
    # The fencing token drawn stays drawn: a token is never given twice.
    counter = f"cephmaint:lease:{{{plan['cluster']}}}:token".encode()
    assert {k: v for k, v in after.items() if k != counter} == before
    assert RedisLeases(client).holders(plan["cluster"]) == []


def test_a_refused_start_writes_nothing_at_all(redis_url: str,
                                               client: redis.Redis[bytes]) -> None:
    app = worker_app(Settings(broker_url=DEAD_BROKER, redis_url=redis_url), name="busy")
    leases = RedisLeases(client)
    plan = alone(plan_replace("node2", "node3", cluster=lab_cluster(), state=healthy_state(),
                              **QUIET))
    token = leases.take(plan["cluster"], "decommission.node1.held", ["node1"], 60,
                        lambda live: None)
    try:
        before = keys(client, "")
        with pytest.raises(ClusterBusy, match=r"decommission\.node1\.held"):
            start(plan, app, concurrency=Concurrency())
        assert keys(client, "") == before
    finally:
        leases.release(plan["cluster"], "decommission.node1.held", token)


def test_a_redis_without_an_append_only_file_refuses_the_start_before_anything_is_written(
        tmp_path: Path) -> None:
    with private_redis(tmp_path / "redis") as url:
        volatile: redis.Redis[bytes] = redis.Redis.from_url(url)
        volatile.config_set("appendonly", "no")
        app = worker_app(Settings(broker_url=url, redis_url=url), name="volatile")
        plan = plan_decommission("node1", cluster=lab_cluster(), state=healthy_state(),
                                 **QUIET)
        with pytest.raises(StartRefused, match=r"appendonly no\): a restart would lose .* "
                                               r"pass --volatile-state to take that risk"):
            submit(plan, app)
        assert volatile.keys("*") == []
        check_services(app, volatile_ok=True)  # the operator's choice, said out loud
        volatile.close()


def test_over_tls_as_an_acl_user_a_start_is_recorded_and_no_password_is_ever_shown(
        tmp_path: Path) -> None:
    password = "pw-3f9a71c0de"
    server = RedisServer(tmp_path / "redis", user=("cephmaint", password),
                         tls=make_certificates(tmp_path / "certs"))
    server.start()
    try:
        app = worker_app(Settings(broker_url=server.url, redis_url=server.url), name="tls")
        check_services(app)
        plan = plan_decommission("node1", cluster=lab_cluster(), state=healthy_state(),
                                 **QUIET)
        handle = submit(plan, app)
        assert RedisLedger.from_url(server.url).recall(handle.id, "plan")["kind"] == plan.kind
        wrong = server.url.replace(password, "pw-not-this-one")
        with pytest.raises(SubmitError, match="cannot be reached") as refused:
            check_services(worker_app(Settings(broker_url=wrong, redis_url=wrong), name="no"))
        assert "pw-not-this-one" not in str(refused.value) and password not in str(refused.value)
    finally:
        server.stop()
