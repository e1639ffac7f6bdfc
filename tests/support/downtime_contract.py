"""One behaviour suite for every DowntimeBackend: the in-memory fake and the real adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ceph_tasks.monitoring.backend import DowntimeBackend, DowntimeRequest


def a_request(
    host: str = "node2", reference: str = "wf-1", hours: float = 2.0, start: datetime | None = None
) -> DowntimeRequest:
    """A host-wide downtime request starting now (or at start) for some hours."""
    begin = start or datetime.now(UTC).replace(microsecond=0)
    return DowntimeRequest(
        host=host, start=begin, end=begin + timedelta(hours=hours), comment="disk swap",
        author="cephmaint", reference=reference,
    )


class DowntimeContract:
    """Subclass with a `backend` fixture yielding a fresh DowntimeBackend."""

    def test_setting_creates_a_downtime(self, backend: DowntimeBackend) -> None:
        result = backend.set_downtime(a_request())
        assert result.created
        assert result.ids
        assert result.host == "node2"

    def test_setting_twice_finds_the_first_downtime(self, backend: DowntimeBackend) -> None:
        # One start for both: a request a second later asks for a second more, and gets a
        # new downtime, as it should.
        start = datetime.now(UTC).replace(microsecond=0)
        first = backend.set_downtime(a_request(start=start))
        second = backend.set_downtime(a_request(start=start))
        assert not second.created
        assert second.ids == first.ids

    def test_a_longer_downtime_is_not_taken_for_a_shorter_one(
        self, backend: DowntimeBackend
    ) -> None:
        request = a_request(hours=1)
        backend.set_downtime(request)
        longer = a_request(hours=3, start=request.start)
        assert backend.set_downtime(longer).created

    def test_removal_removes_and_then_finds_nothing(self, backend: DowntimeBackend) -> None:
        backend.set_downtime(a_request())
        assert backend.remove_downtime("node2", "wf-1") >= 1
        assert backend.remove_downtime("node2", "wf-1") == 0
        assert backend.set_downtime(a_request()).created

    def test_removal_of_a_missing_downtime_succeeds(self, backend: DowntimeBackend) -> None:
        assert backend.remove_downtime("node9", "wf-never") == 0

    def test_removal_spares_other_maintenances_and_hosts(self, backend: DowntimeBackend) -> None:
        start = datetime.now(UTC).replace(microsecond=0)
        backend.set_downtime(a_request(start=start))
        other_ref = backend.set_downtime(a_request(reference="wf-2", start=start))
        other_host = backend.set_downtime(a_request(host="node3", start=start))
        backend.remove_downtime("node2", "wf-1")
        assert backend.set_downtime(a_request(reference="wf-2", start=start)).ids == other_ref.ids
        assert backend.set_downtime(a_request(host="node3", start=start)).ids == other_host.ids
