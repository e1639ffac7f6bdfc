"""Monitoring: Icinga 2 downtimes, Alertmanager silences, Prometheus instant queries."""

from ceph_tasks.monitoring.alertmanager import AlertmanagerSilences, HostMatching
from ceph_tasks.monitoring.backend import (
    DowntimeBackend,
    DowntimeRequest,
    DowntimeResult,
)
from ceph_tasks.monitoring.icinga import IcingaDowntimes
from ceph_tasks.monitoring.prometheus import InstantQuery, PrometheusQuery

__all__ = [
    "AlertmanagerSilences",
    "DowntimeBackend",
    "DowntimeRequest",
    "DowntimeResult",
    "HostMatching",
    "IcingaDowntimes",
    "InstantQuery",
    "PrometheusQuery",
]
