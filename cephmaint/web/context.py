"""What every handler of `cephmaint serve` works with: the app's parts, the signed-in user,
the cookies' rules and the templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from prometheus_client import CollectorRegistry
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from ceph_tasks.settings import Settings
from cephmaint.web.accounts import Account, Role
from cephmaint.web.backend import Maintenances
from cephmaint.web.health import Reading
from cephmaint.web.sessions import SessionStore, UserSession
from cephmaint.web.throttle import LoginThrottle
from workflows.impact import human_size
from workflows.listing import Row

HERE = Path(__file__).resolve().parent
#: Unix seconds now (time.time in production; tests pass their own).
Clock = Callable[[], float]
#: The users now, by name (AccountsFile.current in production).
Users = Callable[[], Mapping[str, Account]]
#: Every maintenance of every cluster, as `cephmaint list` reads them (blocking I/O).
FleetSource = Callable[[], Sequence[Row]]
#: Each cluster of the inventory, in order, with its latest health reading (None: not read
#: yet); blocking, but only the first time a cluster is shown (health_cache.HealthCache).
HealthSource = Callable[[], Mapping[str, Reading | None]]


@dataclass(frozen=True)
class Principal:
    """The user a request comes from: a live session whose role the users file still gives."""

    name: str
    role: Role
    session: UserSession


@dataclass(frozen=True)
class Cookies:
    """The cookies' names and flags: Secure, and the __Host- prefix, behind https."""

    secure: bool

    @property
    def session(self) -> str:
        """The session id's cookie."""
        return "__Host-cephmaint-session" if self.secure else "cephmaint-session"

    @property
    def login(self) -> str:
        """The login form's CSRF cookie (before any session)."""
        return "__Host-cephmaint-login" if self.secure else "cephmaint-login"

    def put(self, response: Response, name: str, value: str) -> None:
        """Set a cookie scripts cannot read and other sites' requests do not carry."""
        # No Max-Age: the browser drops it when it closes; the server ends it before that.
        response.set_cookie(name, value, path="/", secure=self.secure, httponly=True,
                            samesite="strict")

    def drop(self, response: Response, name: str) -> None:
        """Remove a cookie from the browser."""
        response.delete_cookie(name, path="/", secure=self.secure, httponly=True,
                               samesite="strict")


@dataclass(frozen=True)
class Web:
    """The parts of the app, made once by create_app."""

    settings: Settings
    users: Users
    sessions: SessionStore
    throttle: LoginThrottle
    clock: Clock
    registry: CollectorRegistry
    fleet: FleetSource
    health: HealthSource
    cookies: Cookies
    templates: Jinja2Templates
    #: The maintenances the pages show and control.
    maintenances: Maintenances


def web_of(request: Request) -> Web:
    """The parts of the app a request came to."""
    return cast(Web, request.app.state.web)


def utc(at: float | None) -> str:
    """A Unix time as the pages show it: UTC, to the minute; '-' when unknown."""
    return "-" if at is None else datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M")


def seconds_utc(at: float | None) -> str:
    """A Unix time to the second, UTC; '-' when unknown."""
    return "-" if at is None else datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S")


#: The units of a length of time, largest first, in seconds.
_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def duration(seconds: float | None) -> str:
    """A length of time as people say it, in its largest unit and the next: 2 d 5 h, 12 min."""
    if seconds is None:
        return "-"
    left = int(max(0.0, seconds))
    for (unit, size), (next_unit, next_size) in zip(_UNITS, (*_UNITS[1:], ("", 1)),
                                                     strict=True):
        if left >= size or unit == "s":
            rest = (left % size) // next_size if next_unit else 0
            return f"{left // size} {unit}" + (f" {rest} {next_unit}" if rest else "")
    return "-"


def make_templates() -> Jinja2Templates:
    """The pages' templates, HTML-escaped, with their filters."""
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["utc"] = utc
    templates.env.filters["seconds_utc"] = seconds_utc
    templates.env.filters["duration"] = duration
    templates.env.filters["size"] = human_size
    return templates


def render(request: Request, template: str, *, who: Principal | None = None,
           status: int = 200, headers: Mapping[str, str] | None = None,
           **values: Any) -> Response:
    """A page from a template; the header shows who is signed in, with a logout form."""
    may = {role.value: who is not None and who.role.allows(role) for role in Role}
    return web_of(request).templates.TemplateResponse(
        request, template, {"who": who, "may": may, **values}, status_code=status,
        headers=dict(headers or {}))
