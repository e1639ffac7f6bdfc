"""Typed, pure parsers of the Ceph answers maintenance tasks read."""

from ceph_tasks.ceph.models.common import CephModel, parse_as, parse_list
from ceph_tasks.ceph.models.device_list import CephDevice, DeviceLocation, ceph_time
from ceph_tasks.ceph.models.health import CheckSummary, Health, HealthCheck, HealthStatus
from ceph_tasks.ceph.models.osd_df import DfSummary, OsdDf, OsdUsage
from ceph_tasks.ceph.models.osd_dump import OsdDump
from ceph_tasks.ceph.models.osd_perf import OsdLatency, OsdPerf
from ceph_tasks.ceph.models.osd_tree import OsdTree, TreeNode
from ceph_tasks.ceph.models.pg_bytes import PgBytes
from ceph_tasks.ceph.models.pg_dump import PgBrief, PgDump
from ceph_tasks.ceph.models.pg_objects import PgObjectCount, PgObjects
from ceph_tasks.ceph.models.pgs import PgCounts, PgMap, PgStat, PgStateCount
from ceph_tasks.ceph.models.pools import CrushRule, CrushStep, Pool
from ceph_tasks.ceph.models.safety import OkToStop, SafeToDestroy
from ceph_tasks.ceph.models.status import OsdMapSummary, Status
from ceph_tasks.ceph.models.versions import DaemonVersion, Release, Versions

__all__ = [
    "CephDevice",
    "CephModel",
    "CheckSummary",
    "CrushRule",
    "CrushStep",
    "DaemonVersion",
    "DeviceLocation",
    "DfSummary",
    "Health",
    "HealthCheck",
    "HealthStatus",
    "OkToStop",
    "OsdDf",
    "OsdDump",
    "OsdLatency",
    "OsdMapSummary",
    "OsdPerf",
    "OsdTree",
    "OsdUsage",
    "PgBrief",
    "PgBytes",
    "PgCounts",
    "PgDump",
    "PgMap",
    "PgObjectCount",
    "PgObjects",
    "PgStat",
    "PgStateCount",
    "Pool",
    "Release",
    "SafeToDestroy",
    "Status",
    "TreeNode",
    "Versions",
    "ceph_time",
    "parse_as",
    "parse_list",
]
