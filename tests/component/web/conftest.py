"""A `cephmaint serve` app in-process, on the session's private Redis, with a fake clock.

Each test gets its own key prefix in Redis, its own users file (an operator, a
technician and a viewer), its own audit trail (SQLite in its tmp_path) and a browser-like
client that keeps cookies and does not follow redirects, so that each answer can be looked
at. The maintenances the pages show are those of a cluster of the test's own
(tests.component.web.fleet_lab), or of none; the clusters' health shown on the fleet page
is read by a reader the test gives (captured answers, tests/fixtures/ceph), or of none.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.testclient import TestClient

from ceph_tasks.audit import SqlAuditStore
from ceph_tasks.ceph.models import Status
from ceph_tasks.redis_client import connect
from ceph_tasks.settings import Settings
from cephmaint.web.accounts import Account, AccountsFile, Role, write_accounts
from cephmaint.web.app import create_app
from cephmaint.web.backend import Maintenances
from cephmaint.web.health_cache import HealthCache, Reader
from cephmaint.web.passwords import hash_password
from inventory import Cluster, Inventory
from tests.component.web.fleet_lab import FleetLab, lab_fields
from workflows.engine import worker_app
from workflows.listing import Row

PASSWORDS = {"olga": "olga-operator-secret", "tim": "tim-technician-secret",
             "vera": "vera-viewer-secret"}
ROLES = {"olga": Role.OPERATOR, "tim": Role.TECHNICIAN, "vera": Role.VIEWER}
HOST = "testserver"
START = 1_800_000_000.0


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def hashes() -> dict[str, str]:
    """The users' password hashes, made once (argon2 is slow on purpose)."""
    return {name: hash_password(password) for name, password in PASSWORDS.items()}


def csrf_in(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


@dataclass
class Site:
    """The app, its browser, its clock and its Redis keys."""

    app: Starlette
    client: TestClient
    clock: FakeClock
    redis: redis.Redis[bytes]
    prefix: str
    users_path: Path
    accounts: dict[str, Account]
    health: HealthCache
    calls: list[str] = field(default_factory=list)

    def login(self, user: str, password: str | None = None, **extra: str) -> httpx.Response:
        """Fill in and send the login form as a browser would."""
        token = csrf_in(self.client.get("/login").text)
        return self.client.post("/login", data={
            "csrf": token, "user": user,
            "password": PASSWORDS.get(user, "x") if password is None else password, **extra})

    def page_token(self) -> str:
        """The CSRF token of the signed-in session, from the header's logout form."""
        page = self.client.get("/")
        assert page.status_code == 200, page.text
        return csrf_in(page.text)

    def set_role(self, user: str, role: Role | None, password_hash: str | None = None) -> None:
        """Change (None: remove) a user in the users file, as `cephmaint users` does."""
        if role is None:
            self.accounts.pop(user)
        else:
            before = self.accounts[user]
            self.accounts[user] = Account(user, role, password_hash or before.password_hash)
        write_accounts(self.users_path, self.accounts.values())

    def keys(self, kind: str = "") -> set[str]:
        """This site's Redis keys (of one kind: session, user, failures)."""
        return {k.decode() for k in self.redis.scan_iter(f"{self.prefix}{kind}*")}


MakeSite = Callable[..., Site]


@pytest.fixture
def make_site(redis_url: str, tmp_path: Path, hashes: dict[str, str]) -> Iterator[MakeSite]:
    """Make a site; keyword arguments: settings' fields, routes, fleet, registry, the
    URL of another Redis than the session's (store_url), the maintenances the pages
    show (a lab's; by default, those of an empty inventory), and the clusters whose health
    the fleet page shows with the reader of their status (by default, none)."""
    clients = []
    caches: list[HealthCache] = []

    def make(routes: Sequence[BaseRoute] = (), fleet: Callable[[], Sequence[Row]] = list,
             registry: CollectorRegistry | None = None, store_url: str | None = None,
             maintenances: Maintenances | None = None, clusters: Sequence[Cluster] = (),
             reader: Reader | None = None, **settings: Any) -> Site:
        users_path = tmp_path / f"users-{uuid.uuid4().hex[:8]}.yaml"
        accounts = {name: Account(name, ROLES[name], hashes[name]) for name in PASSWORDS}
        write_accounts(users_path, accounts.values())
        client = connect(store_url or redis_url)
        clients.append(client)
        clock = FakeClock()
        prefix = f"test:{uuid.uuid4().hex}:"
        chosen = Settings(**{**lab_fields(redis_url, tmp_path), "users_path": users_path,
                             "allowed_hosts": f"{HOST},127.0.0.1", **settings})
        if maintenances is None:
            maintenances = Maintenances(worker_app(chosen, name="web-test"), Inventory,
                                        SqlAuditStore.from_url(chosen.audit_location))
        health = HealthCache(lambda: clusters, reader or _no_reader, clock)
        caches.append(health)
        app = create_app(chosen, redis=client, clock=clock,
                         registry=registry or CollectorRegistry(),
                         users=AccountsFile(users_path).current, fleet=fleet, health=health,
                         routes=routes, maintenances=maintenances, key_prefix=prefix)
        browser = TestClient(app, base_url=f"http://{HOST}", follow_redirects=False)
        return Site(app, browser, clock, client, prefix, users_path, accounts, health)

    yield make
    for client in clients:
        client.close()
    for cache in caches:
        cache.close()


def _no_reader(cluster: Cluster) -> Status:
    raise AssertionError(f"the test gave no reader, yet cluster {cluster.name} was read")


@pytest.fixture
def site(make_site: MakeSite) -> Site:
    """A site with the default settings and no maintenance."""
    return make_site()


@pytest.fixture
def lab(redis_url: str, tmp_path: Path) -> FleetLab:
    """A cluster of this test's own, with no maintenance yet."""
    return FleetLab.make(redis_url, tmp_path)


@pytest.fixture
def lab_site(make_site: MakeSite, lab: FleetLab) -> Site:
    """A site showing the lab's maintenances."""
    return make_site(maintenances=lab.maintenances)
