"""The in-memory DowntimeBackend keeps the same contract as the real adapters."""

from __future__ import annotations

import pytest

from ceph_tasks.errors import MonitoringError
from ceph_tasks.testing.fake_downtimes import InMemoryDowntimes
from tests.support.downtime_contract import DowntimeContract, a_request


class TestInMemoryDowntimes(DowntimeContract):
    @pytest.fixture
    def backend(self) -> InMemoryDowntimes:
        return InMemoryDowntimes()


def test_a_failing_fake_raises_a_monitoring_error_naming_the_host() -> None:
    with pytest.raises(MonitoringError, match="node2"):
        InMemoryDowntimes(fail_with="unreachable").set_downtime(a_request())
