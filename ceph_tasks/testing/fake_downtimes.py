"""An in-memory DowntimeBackend for tests of the tasks that silence monitoring."""

from __future__ import annotations

from dataclasses import dataclass, field

from ceph_tasks.errors import MonitoringError
from ceph_tasks.monitoring.backend import (
    DowntimeRequest,
    DowntimeResult,
    ExistingDowntime,
    covering,
    has_tag,
)


@dataclass
class InMemoryDowntimes:
    """A DowntimeBackend kept in a dict, for tests of the tasks that use one."""

    name: str = "memory"
    downtimes: dict[str, ExistingDowntime] = field(default_factory=dict)
    fail_with: str | None = None

    def set_downtime(self, request: DowntimeRequest) -> DowntimeResult:
        """Make sure a downtime as requested exists; never duplicate one."""
        self._maybe_fail(request.host)
        present = covering(request, list(self.downtimes.values()))
        if present is not None:
            return DowntimeResult(self.name, request.host, present, created=False)
        ids: list[str] = []
        for service in request.services or ("",):
            downtime_id = f"{request.host}!{service}!{len(self.downtimes) + 1}"
            self.downtimes[downtime_id] = ExistingDowntime(
                id=downtime_id,
                host=request.host,
                service=service,
                author=request.author,
                comment=request.stored_comment,
                end=request.end,
            )
            ids.append(downtime_id)
        return DowntimeResult(self.name, request.host, tuple(ids), created=True)

    def remove_downtime(self, host: str, reference: str) -> int:
        """Remove this maintenance's downtimes of the host; how many went. Missing is fine."""
        self._maybe_fail(host)
        gone = [
            key
            for key, d in self.downtimes.items()
            if d.host == host and has_tag(d.comment, reference)
        ]
        for key in gone:
            del self.downtimes[key]
        return len(gone)

    def _maybe_fail(self, host: str) -> None:
        if self.fail_with is not None:
            raise MonitoringError(f"{self.name} downtime for host {host}: {self.fail_with}")
