"""What a monitoring downtime is, independent of the monitoring system: the pure core.

A downtime is recognised later by a tag holding the maintenance reference, appended to
its comment. Tasks therefore need not remember ids: setting twice finds the first one,
and removal by reference works from any worker, after any restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ceph_tasks.reference import check_reference


def reference_tag(reference: str) -> str:
    """The marker that identifies downtimes made for one maintenance."""
    return f"[cephmaint:{check_reference(reference)}]"


def tagged_comment(comment: str, reference: str) -> str:
    """The comment as stored: the operator's text followed by the reference tag."""
    tag = reference_tag(reference)
    text = comment.strip()
    return f"{text} {tag}" if text else tag


def has_tag(comment: str, reference: str) -> bool:
    """Whether a stored comment carries this maintenance's tag."""
    return reference_tag(reference) in comment


@dataclass(frozen=True)
class DowntimeRequest:
    """A downtime to set: host, optional services (empty: the host and all its services)."""

    host: str
    start: datetime
    end: datetime
    comment: str
    author: str
    reference: str
    services: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_reference(self.reference)
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("downtime start and end must be timezone-aware datetimes")
        if self.end <= self.start:
            raise ValueError(
                f"downtime for {self.host} ends ({self.end.isoformat()}) "
                f"before it starts ({self.start.isoformat()})"
            )
        if not self.host:
            raise ValueError("a downtime needs a host name")
        if not self.author.strip():
            raise ValueError("a downtime needs an author")
        if any(not service for service in self.services):
            raise ValueError("service names must not be empty")

    @property
    def stored_comment(self) -> str:
        """The comment with the reference tag, as the monitoring system keeps it."""
        return tagged_comment(self.comment, self.reference)


@dataclass(frozen=True)
class DowntimeResult:
    """The downtime(s) in place for a request; created is False when one already existed."""

    backend: str
    host: str
    ids: tuple[str, ...]
    created: bool


@dataclass(frozen=True)
class ExistingDowntime:
    """A downtime found on a monitoring system, reduced to what matching needs."""

    id: str
    host: str
    service: str
    author: str
    comment: str
    end: datetime


def covering(
    request: DowntimeRequest, found: list[ExistingDowntime] | tuple[ExistingDowntime, ...]
) -> tuple[str, ...] | None:
    """Ids of already-present downtimes that fulfil the request, or None when one is missing.

    A present downtime counts when it is for the same host and service, by the same author,
    carries the reference tag and lasts at least until the requested end. For a host-wide
    request the service is the empty string.
    """
    wanted = request.services or ("",)
    ids: list[str] = []
    for service in wanted:
        match = next(
            (
                d
                for d in sorted(found, key=lambda d: d.id)
                if d.host == request.host
                and d.service == service
                and d.author == request.author
                and has_tag(d.comment, request.reference)
                and d.end >= request.end
            ),
            None,
        )
        if match is None:
            return None
        ids.append(match.id)
    return tuple(ids)


class DowntimeBackend(Protocol):
    """A monitoring system that can hold alerts for a host during maintenance."""

    def set_downtime(self, request: DowntimeRequest) -> DowntimeResult:
        """Make sure a downtime as requested exists; never duplicate one."""
        ...

    def remove_downtime(self, host: str, reference: str) -> int:
        """Remove this maintenance's downtimes of the host; how many went. Missing is fine."""
        ...
