"""Broker and state on a Redis that speaks TLS only and lets in one ACL user.

The URLs carry the user, the password and the CA to check the server against
(`rediss://USER:PASSWORD@HOST:PORT/DB?ssl_cert_reqs=required&ssl_ca_certs=CA.pem`); a
workflow runs through a real worker on them. A wrong password and a CA the client does not
know are refused, and the password appears in no log of the worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from dyrygent.workflows import Workflow
from tests.integration.dyrygent.app import make_app
from tests.integration.dyrygent.conftest import Cluster, _teardown
from tests.support.services import RedisServer
from tests.support.tls import make_certificates

pytestmark = pytest.mark.integration

USER, PASSWORD = "cephmaint", "pw-7c1d9e2b4a"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    secured = RedisServer(tmp_path / "redis", user=(USER, PASSWORD),
                          tls=make_certificates(tmp_path / "certs"))
    secured.start()
    try:
        yield secured
    finally:
        secured.stop()


def on_db(url: str, db: int) -> str:
    where, _, query = url.partition("?")
    return f"{where.rsplit('/', 1)[0]}/{db}?{query}"


def test_a_workflow_runs_over_tls_as_its_acl_user_and_others_are_refused(
        server: RedisServer, tmp_path: Path) -> None:
    broker, state = on_db(server.url, 1), on_db(server.url, 2)
    prefix = "secured"
    (tmp_path / "logs").mkdir()
    cluster = Cluster(broker, state, prefix, prefix, tmp_path / "logs",
                      make_app(broker, state, prefix, queue=prefix))
    try:
        cluster.start_worker()
        wf = Workflow()
        wf.add_signature(cluster.sig_i("until", tag="wait", times=3, countdown=0.2),
                         node_id="wait")
        wf.add_signature(cluster.sig_i("t", tag="end"), node_id="end", dependencies=("wait",))
        handle = wf.apply_async()
        assert handle.wait(timeout=60) == ["end", []]
        assert cluster.execs() == {f"dy-{wf.id}-0": 1, f"dy-{wf.id}-1": 1}
    finally:
        _teardown(cluster)
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(state.replace(PASSWORD, "not-the-password")).ping()
    with pytest.raises(redis.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        redis.Redis.from_url(state.partition("&ssl_ca_certs")[0]).ping()
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "logs").glob("*.log"))
    assert "Connected to rediss://" in logs and PASSWORD not in logs
