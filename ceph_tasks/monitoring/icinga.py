"""Icinga 2 API downtimes: request builders and response readers (pure) and the adapter.

Host names reach Icinga only as `filter_vars` values, never inside the filter text, so a
name can never change the meaning of the filter expression.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from ceph_tasks.errors import MonitoringError
from ceph_tasks.http import DEFAULT_TIMEOUT, call, join_url, json_body
from ceph_tasks.monitoring.backend import (
    DowntimeRequest,
    DowntimeResult,
    ExistingDowntime,
    covering,
    has_tag,
)
from inventory.settings import IcingaTarget

log = logging.getLogger(__name__)

SCHEDULE_PATH = "/v1/actions/schedule-downtime"
REMOVE_PATH = "/v1/actions/remove-downtime"
DOWNTIMES_PATH = "/v1/objects/downtimes"

_HOST_VAR = "cephmaint_host"
_SERVICES_VAR = "cephmaint_services"
_ATTRS = ["name", "host_name", "service_name", "author", "comment", "end_time"]


def schedule_body(request: DowntimeRequest) -> dict[str, Any]:
    """The JSON body of schedule-downtime: a fixed host downtime with all services, or
    downtimes of the named services only."""
    body: dict[str, Any] = {
        "author": request.author,
        "comment": request.stored_comment,
        "start_time": int(request.start.timestamp()),
        "end_time": int(request.end.timestamp()),
        "fixed": True,
    }
    if request.services:
        body |= {
            "type": "Service",
            "filter": f"host.name == {_HOST_VAR} && service.name in {_SERVICES_VAR}",
            "filter_vars": {_HOST_VAR: request.host, _SERVICES_VAR: list(request.services)},
        }
    else:
        body |= {
            "type": "Host",
            "filter": f"host.name == {_HOST_VAR}",
            "filter_vars": {_HOST_VAR: request.host},
            "all_services": True,
        }
    return body


def query_body(host: str) -> dict[str, Any]:
    """The JSON body that lists a host's downtimes (sent with X-HTTP-Method-Override: GET)."""
    return {
        "filter": f"downtime.host_name == {_HOST_VAR}",
        "filter_vars": {_HOST_VAR: host},
        "attrs": _ATTRS,
    }


def remove_body(downtime_name: str) -> dict[str, Any]:
    """The JSON body of remove-downtime for one downtime, by its full name."""
    return {"downtime": downtime_name}


def parse_downtimes(document: Any) -> list[ExistingDowntime]:
    """Read the results of GET /v1/objects/downtimes; ValueError when the shape is wrong."""
    if not isinstance(document, Mapping) or not isinstance(document.get("results"), list):
        raise ValueError("expected an object with a 'results' list")
    found: list[ExistingDowntime] = []
    for entry in document["results"]:
        attrs = entry.get("attrs") if isinstance(entry, Mapping) else None
        if not isinstance(attrs, Mapping):
            raise ValueError("a downtime entry has no 'attrs' object")
        try:
            found.append(
                ExistingDowntime(
                    id=str(entry["name"]),
                    host=str(attrs["host_name"]),
                    service=str(attrs.get("service_name") or ""),
                    author=str(attrs["author"]),
                    comment=str(attrs["comment"]),
                    end=datetime.fromtimestamp(float(attrs["end_time"]), UTC),
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"a downtime entry lacks or garbles {e}") from e
    return found


def parse_scheduled(document: Any) -> tuple[str, ...]:
    """Names of the downtimes schedule-downtime created; ValueError on a failed or odd result."""
    if not isinstance(document, Mapping) or not isinstance(document.get("results"), list):
        raise ValueError("expected an object with a 'results' list")
    names: list[str] = []
    for entry in document["results"]:
        if not isinstance(entry, Mapping):
            raise ValueError("a result is not an object")
        code = entry.get("code")
        if not isinstance(code, int | float) or not 200 <= code < 300 or "name" not in entry:
            raise ValueError(f"a result reports failure: {entry.get('status', entry)}")
        names.append(str(entry["name"]))
    if not names:
        raise ValueError("no downtime was scheduled (no matching object)")
    return tuple(names)


class IcingaDowntimes:
    """Downtimes on an Icinga 2 API, idempotent by maintenance reference."""

    name = "icinga"

    def __init__(
        self,
        target: IcingaTarget,
        *,
        session: requests.Session | None = None,
        verify: bool | str = True,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._url = target.url
        self._user = target.user
        self._session = session or requests.Session()
        # The SecretStr is unwrapped only here, into the session that sends it.
        self._session.auth = (target.user, target.password.get_secret_value())
        self._session.headers["Accept"] = "application/json"
        self._session.verify = verify
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"IcingaDowntimes(url={self._url!r}, user={self._user!r})"

    def downtimes(self, host: str) -> list[ExistingDowntime]:
        """Every downtime Icinga holds for the host (host and service downtimes)."""
        doing = f"Icinga: listing downtimes of host {host}"
        url = join_url(self._url, DOWNTIMES_PATH)
        # filter_vars only travel in a body, and GET has none: the documented override.
        response = call(
            self._session, "POST", url, doing=doing, error=MonitoringError,
            timeout=self._timeout, json=query_body(host),
            headers={"X-HTTP-Method-Override": "GET"},
        )
        document = json_body(response, doing=doing, error=MonitoringError, where=url)
        try:
            return parse_downtimes(document)
        except ValueError as e:
            raise MonitoringError(f"{doing}: {url} answered an unexpected shape: {e}") from e

    def set_downtime(self, request: DowntimeRequest) -> DowntimeResult:
        """Make sure a downtime as requested exists; never duplicate one."""
        present = covering(request, self.downtimes(request.host))
        if present is not None:
            log.info("Icinga downtime for host %s already set: %s", request.host, present)
            return DowntimeResult(self.name, request.host, present, created=False)
        doing = f"Icinga: scheduling a downtime for host {request.host}"
        url = join_url(self._url, SCHEDULE_PATH)
        response = call(
            self._session, "POST", url, doing=doing, error=MonitoringError,
            timeout=self._timeout, json=schedule_body(request),
        )
        document = json_body(response, doing=doing, error=MonitoringError, where=url)
        try:
            names = parse_scheduled(document)
        except ValueError as e:
            raise MonitoringError(f"{doing}: {url}: {e}") from e
        log.info("Icinga downtime for host %s scheduled: %s", request.host, names)
        return DowntimeResult(self.name, request.host, names, created=True)

    def remove_downtime(self, host: str, reference: str) -> int:
        """Remove this maintenance's downtimes of the host; how many went. Missing is fine."""
        ours = [d for d in self.downtimes(host) if d.host == host and has_tag(d.comment, reference)]
        # Host downtimes first: Icinga then drops their all_services children itself, and
        # removing an already-gone child still answers 200.
        ours.sort(key=lambda d: (d.service != "", d.id))
        doing = f"Icinga: removing downtimes of host {host}"
        url = join_url(self._url, REMOVE_PATH)
        for downtime in ours:
            # 404: it went between the listing and now (expired, or removed by someone).
            call(
                self._session, "POST", url, doing=doing, error=MonitoringError,
                timeout=self._timeout, json=remove_body(downtime.id), ok=(200, 404),
            )
        log.info("Icinga downtimes removed for host %s: %d", host, len(ours))
        return len(ours)
