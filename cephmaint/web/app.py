"""The app of `cephmaint serve`: its routes, middleware and error pages, from its parts.

Everything with a state or a side is passed in: the Redis client, the clock, the metrics
registry, the users, the fleet's rows, the clusters' health and the maintenances (their
engine, ledger, inventory and audit trail) that the maintenance and technicians' pages read
and change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from prometheus_client import CollectorRegistry
from redis import Redis
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ceph_tasks.errors import AuditError, ConfigurationError, LedgerError
from ceph_tasks.settings import Settings
from cephmaint.web import controls, maintenance_page, technicians
from cephmaint.web.backend import Maintenances
from cephmaint.web.context import (
    HERE,
    Clock,
    Cookies,
    FleetSource,
    HealthSource,
    Users,
    Web,
    make_templates,
    render,
)
from cephmaint.web.fleet import fleet_page
from cephmaint.web.headers import AllowedHosts, SecurityHeaders, parse_hosts
from cephmaint.web.login import login, login_page, logout
from cephmaint.web.scrape import metrics
from cephmaint.web.sessions import KEY_PREFIX, SessionStore
from cephmaint.web.throttle import LoginThrottle
from dyrygent.errors import StoreError
from workflows.errors import SubmitError

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, redis: Redis[bytes], clock: Clock,
               registry: CollectorRegistry, users: Users, fleet: FleetSource,
               health: HealthSource, maintenances: Maintenances,
               routes: Sequence[BaseRoute] = (), key_prefix: str = KEY_PREFIX) -> Starlette:
    """The app serving the pages, /metrics and the static files.

    redis keeps the sessions and failed logins under key_prefix; clock gives Unix
    seconds; users gives the users file's users now; fleet gives the maintenances'
    rows; health gives each cluster's latest health (health_cache.HealthCache);
    maintenances are what the maintenance and technicians' pages read and control;
    routes are added to the app's own (each guarded with `require`).
    """
    hosts = parse_hosts(settings.allowed_hosts)
    if not hosts:
        raise ConfigurationError("setting CEPHMAINT_ALLOWED_HOSTS names no host: give the "
                                 "names the server is reached by (comma-separated)")
    web = Web(settings=settings, users=users,
              sessions=SessionStore(redis, clock, settings.session_seconds, key_prefix),
              throttle=LoginThrottle(redis, clock, key_prefix), clock=clock,
              registry=registry, fleet=fleet, health=health,
              cookies=Cookies(secure=settings.public_url.lower().startswith("https://")),
              templates=make_templates(), maintenances=maintenances)
    app = Starlette(
        routes=[
            Route("/", fleet_page, methods=["GET"], name="fleet"),
            Route("/login", login_page, methods=["GET"], name="login_form"),
            Route("/login", login, methods=["POST"], name="login"),
            Route("/logout", logout, methods=["POST"], name="logout"),
            Route("/metrics", metrics, methods=["GET"], name="metrics"),
            *maintenance_page.ROUTES,
            *controls.ROUTES,
            *technicians.ROUTES,
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
            *routes,
        ],
        # The first is the outermost: even a refused Host gets the security headers.
        middleware=[Middleware(SecurityHeaders), Middleware(AllowedHosts, hosts=hosts)],
        exception_handlers={HTTPException: _refused, StoreError: _store_failed,
                            LedgerError: _store_failed, SubmitError: _store_failed,
                            AuditError: _audit_failed,
                            ConfigurationError: _misconfigured},
    )
    app.state.web = web
    return app


async def _refused(request: Request, error: Exception) -> Response:
    """An HTTPException as a page saying why (a 403's reason, a 404)."""
    assert isinstance(error, HTTPException)
    return render(request, "error.html", status=error.status_code, title=_title(error),
                  detail=error.detail, headers=error.headers)


async def _store_failed(request: Request, error: Exception) -> Response:
    """The state Redis cannot be reached or refused: 503, and the reason in the log."""
    log.error("%s %s: %s", request.method, request.url.path, error)
    return render(request, "error.html", status=503, title="Service unavailable",
                  detail="The state store (Redis) cannot be reached: try again shortly.")


async def _audit_failed(request: Request, error: Exception) -> Response:
    """The audit trail cannot be written: the action it would announce was not taken."""
    log.error("%s %s: %s", request.method, request.url.path, error)
    return render(request, "error.html", status=503, title="Service unavailable",
                  detail="The audit trail cannot be reached, so nothing was done: try again "
                         "shortly.")


async def _misconfigured(request: Request, error: Exception) -> Response:
    """A users file turned bad while serving: nobody gets in until it is mended."""
    log.error("%s %s: %s", request.method, request.url.path, error)
    return render(request, "error.html", status=503, title="Service unavailable",
                  detail="The server's configuration is invalid (see its log).")


def _title(error: HTTPException) -> str:
    titles = {400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found",
              405: "Method not allowed"}
    return titles.get(error.status_code, "Error")
