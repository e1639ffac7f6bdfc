"""Monitoring downtimes during maintenance: Icinga 2 downtimes, Alertmanager silences."""

from ceph_tasks.monitoring.alertmanager import AlertmanagerSilences, HostMatching
from ceph_tasks.monitoring.backend import (
    DowntimeBackend,
    DowntimeRequest,
    DowntimeResult,
)
from ceph_tasks.monitoring.icinga import IcingaDowntimes

__all__ = [
    "AlertmanagerSilences",
    "DowntimeBackend",
    "DowntimeRequest",
    "DowntimeResult",
    "HostMatching",
    "IcingaDowntimes",
]
