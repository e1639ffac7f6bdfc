"""Prometheus Alertmanager v2 silences: matchers and bodies (pure) and the adapter."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

from ceph_tasks.errors import MonitoringError
from ceph_tasks.http import DEFAULT_TIMEOUT, call, join_url, json_body, strip_credentials
from ceph_tasks.monitoring.backend import DowntimeRequest, DowntimeResult, has_tag
from inventory.settings import AlertmanagerTarget

log = logging.getLogger(__name__)

SILENCES_PATH = "/api/v2/silences"
SILENCE_PATH = "/api/v2/silence/{id}"

#: Silences that still hold (or will): expired ones are history, not something to reuse.
_LIVE_STATES = frozenset({"active", "pending"})

# Characters with a meaning in Go's RE2 syntax, which Alertmanager uses for =~ matchers.
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


def escape_regex(text: str) -> str:
    """Escape RE2 metacharacters so the text matches only itself."""
    return "".join(f"\\{c}" if c in _RE2_SPECIAL else c for c in text)


@dataclass(frozen=True)
class Matcher:
    """One Alertmanager matcher: label name, value, regex or not, equal or not."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def to_json(self) -> dict[str, Any]:
        """The v2 API form."""
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.is_regex,
            "isEqual": self.is_equal,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Matcher:
        """Read the v2 API form; isEqual is absent in older Alertmanagers and means True."""
        return cls(
            name=str(data["name"]),
            value=str(data["value"]),
            is_regex=bool(data.get("isRegex", False)),
            is_equal=bool(data.get("isEqual", True)),
        )


@dataclass(frozen=True)
class HostMatching:
    """How alerts of a host are recognised.

    The default fits node_exporter and Ceph exporters scraped by host name: the
    `instance` label is the host, with or without a `:port`. Set `with_port=False` for
    a plain equality on a label such as `host` or `hostname`.
    `service_label` holds the names of DowntimeRequest.services, when some are given.
    """

    label: str = "instance"
    with_port: bool = True
    service_label: str = "job"

    def host_matcher(self, host: str) -> Matcher:
        """The matcher that selects every alert of the host."""
        if self.with_port:
            return Matcher(self.label, f"{escape_regex(host)}(:[0-9]+)?", is_regex=True)
        return Matcher(self.label, host)

    def matchers(self, request: DowntimeRequest) -> tuple[Matcher, ...]:
        """All matchers of the silence for a request."""
        found = [self.host_matcher(request.host)]
        if request.services:
            alternatives = "|".join(escape_regex(s) for s in sorted(set(request.services)))
            found.append(Matcher(self.service_label, f"(?:{alternatives})", is_regex=True))
        return tuple(found)


def rfc3339(moment: datetime) -> str:
    """An aware datetime in the UTC 'Z' form the API uses."""
    if moment.tzinfo is None:
        raise ValueError("pass a timezone-aware datetime")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def silence_body(request: DowntimeRequest, matching: HostMatching) -> dict[str, Any]:
    """The JSON body of POST /api/v2/silences for a request."""
    return {
        "matchers": [m.to_json() for m in matching.matchers(request)],
        "startsAt": rfc3339(request.start),
        "endsAt": rfc3339(request.end),
        "createdBy": request.author,
        "comment": request.stored_comment,
    }


@dataclass(frozen=True)
class Silence:
    """A silence as listed by GET /api/v2/silences."""

    id: str
    state: str
    matchers: frozenset[Matcher]
    ends_at: datetime
    created_by: str
    comment: str


def parse_silences(document: Any) -> list[Silence]:
    """Read GET /api/v2/silences; ValueError when the shape is wrong."""
    if not isinstance(document, list):
        raise ValueError("expected a list of silences")
    found: list[Silence] = []
    for entry in document:
        try:
            found.append(
                Silence(
                    id=str(entry["id"]),
                    state=str(entry["status"]["state"]),
                    matchers=frozenset(Matcher.from_json(m) for m in entry["matchers"]),
                    ends_at=datetime.fromisoformat(str(entry["endsAt"])),
                    created_by=str(entry.get("createdBy", "")),
                    comment=str(entry.get("comment", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"a silence entry lacks or garbles {e}") from e
    return found


def find_covering(
    request: DowntimeRequest, matching: HostMatching, silences: Sequence[Silence]
) -> str | None:
    """Id of a live silence with the same matchers, author and tag lasting long enough."""
    wanted = frozenset(matching.matchers(request))
    for silence in sorted(silences, key=lambda s: s.id):
        if (
            silence.state in _LIVE_STATES
            and silence.matchers == wanted
            and silence.created_by == request.author
            and has_tag(silence.comment, request.reference)
            and silence.ends_at >= request.end
        ):
            return silence.id
    return None


def ours_for_host(
    host: str, reference: str, matching: HostMatching, silences: Sequence[Silence]
) -> list[str]:
    """Ids of live silences of this maintenance that select the host."""
    host_matcher = matching.host_matcher(host)
    return sorted(
        s.id
        for s in silences
        if s.state in _LIVE_STATES and host_matcher in s.matchers and has_tag(s.comment, reference)
    )


def deletion_succeeded(status: int, text: str) -> bool:
    """Whether DELETE /api/v2/silence/{id} left the silence gone.

    A silence that vanished between listing and deletion is fine; Alertmanager 0.25
    reports that as 500 "silence not found", later releases as 404.
    """
    return status in (200, 404) or (status == 500 and "not found" in text)


class AlertmanagerSilences:
    """Silences on an Alertmanager v2 API, idempotent by maintenance reference."""

    name = "alertmanager"

    def __init__(
        self,
        target: AlertmanagerTarget,
        *,
        matching: HostMatching | None = None,
        session: requests.Session | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._url = target.url
        self._matching = matching or HostMatching()
        self._session = session or requests.Session()
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"AlertmanagerSilences(url={strip_credentials(self._url)!r})"

    def silences(self, host: str) -> list[Silence]:
        """Every silence the Alertmanager knows (the host is for messages)."""
        doing = f"Alertmanager: listing silences for host {host}"
        url = join_url(self._url, SILENCES_PATH)
        response = call(
            self._session, "GET", url, doing=doing, error=MonitoringError, timeout=self._timeout
        )
        document = json_body(response, doing=doing, error=MonitoringError, where=url)
        try:
            return parse_silences(document)
        except ValueError as e:
            raise MonitoringError(f"{doing}: {strip_credentials(url)}: {e}") from e

    def set_downtime(self, request: DowntimeRequest) -> DowntimeResult:
        """Make sure a silence as requested exists; never duplicate one."""
        present = find_covering(request, self._matching, self.silences(request.host))
        if present is not None:
            log.info("Alertmanager silence for host %s already set: %s", request.host, present)
            return DowntimeResult(self.name, request.host, (present,), created=False)
        doing = f"Alertmanager: creating a silence for host {request.host}"
        url = join_url(self._url, SILENCES_PATH)
        response = call(
            self._session, "POST", url, doing=doing, error=MonitoringError,
            timeout=self._timeout, json=silence_body(request, self._matching),
        )
        document = json_body(response, doing=doing, error=MonitoringError, where=url)
        if not isinstance(document, Mapping) or not document.get("silenceID"):
            raise MonitoringError(f"{doing}: {strip_credentials(url)} answered no silenceID")
        silence_id = str(document["silenceID"])
        log.info("Alertmanager silence for host %s created: %s", request.host, silence_id)
        return DowntimeResult(self.name, request.host, (silence_id,), created=True)

    def remove_downtime(self, host: str, reference: str) -> int:
        """Expire this maintenance's silences of the host; how many went. Missing is fine."""
        ids = ours_for_host(host, reference, self._matching, self.silences(host))
        doing = f"Alertmanager: expiring silences of host {host}"
        for silence_id in ids:
            url = join_url(self._url, SILENCE_PATH.format(id=quote(silence_id, safe="")))
            response = call(
                self._session, "DELETE", url, doing=doing, error=MonitoringError,
                timeout=self._timeout, ok=(200, 404, 500),
            )
            if not deletion_succeeded(response.status_code, response.text):
                raise MonitoringError(
                    f"{doing}: DELETE {strip_credentials(url)} answered "
                    f"{response.status_code}: {' '.join(response.text.split())[:200]}"
                )
        log.info("Alertmanager silences expired for host %s: %d", host, len(ids))
        return len(ids)
