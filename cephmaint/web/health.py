"""Each cluster's health on the fleet page (pure): what a `status` read becomes, which
clusters are due for another read, and the line a cluster gets with its maintenances.

The reads themselves (librados, the thread pool) are in `health_cache`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ceph_tasks.ceph.models import HealthStatus, Status
from cephmaint.exit_codes import one_line
from workflows.listing import Listed, Row

#: Seconds a reading is shown before its cluster is read again: a page view never reads
#: a cluster more often than this, however many people look.
MAX_AGE = 30.0


@dataclass(frozen=True)
class Reading:
    """One read of a cluster's `status`: what it said, or why it failed; when (Unix seconds)."""

    at: float
    health: HealthStatus | None = None
    #: The raised checks, each as its code and summary: "OSD_DOWN 1 osds down".
    checks: tuple[str, ...] = ()
    osds: int = 0
    osds_up: int = 0
    osds_in: int = 0
    pgs: int = 0
    pgs_clean: int = 0
    #: Why the cluster could not be read, on one line; empty when it was.
    error: str = ""

    @property
    def summary(self) -> str:
        """The health and its checks: "HEALTH_WARN: OSD_DOWN 1 osds down; PG_DEGRADED ..."."""
        if self.health is None:
            return ""
        return f"{self.health}: {'; '.join(self.checks)}" if self.checks else str(self.health)


def reading_of(status: Status, at: float) -> Reading:
    """What a cluster's `status` says, read at `at`."""
    checks = tuple(
        f"{code} {check.summary.message}".strip() + (" (muted)" if check.muted else "")
        for code, check in sorted(status.health.checks.items()))
    osdmap, pgmap = status.osdmap, status.pgmap
    return Reading(at=at, health=status.health.status, checks=checks, osds=osdmap.num_osds,
                   osds_up=osdmap.num_up_osds, osds_in=osdmap.num_in_osds,
                   pgs=pgmap.num_pgs, pgs_clean=pgmap.active_clean)


def failed_reading(error: BaseException, at: float) -> Reading:
    """A read that failed at `at`: the error on one line, for the page."""
    return Reading(at=at, error=one_line(error))


def is_stale(reading: Reading | None, now: float, max_age: float = MAX_AGE) -> bool:
    """Whether a cluster is due for a read: never read, or read max_age seconds ago or more."""
    return reading is None or now - reading.at >= max_age


def to_read(clusters: Iterable[str], readings: Mapping[str, Reading],
            reading_now: Collection[str], now: float, max_age: float = MAX_AGE) -> list[str]:
    """The clusters to read now: the stale ones not already being read."""
    return [name for name in clusters
            if name not in reading_now and is_stale(readings.get(name), now, max_age)]


@dataclass(frozen=True)
class Counts:
    """How many maintenances of a cluster run, wait, and are queued for its lease."""

    running: int = 0
    waiting: int = 0
    queued: int = 0


def counts_by_cluster(rows: Iterable[Row]) -> dict[str, Counts]:
    """Each cluster's running, waiting and queued maintenances, from the fleet's rows."""
    tally = Counter((row.cluster, row.state) for row in rows)
    clusters = {cluster for cluster, _ in tally}
    return {cluster: Counts(running=tally[cluster, Listed.RUNNING],
                            waiting=tally[cluster, Listed.WAITING],
                            queued=tally[cluster, Listed.QUEUED])
            for cluster in clusters}


@dataclass(frozen=True)
class HealthLine:
    """A cluster's line on the fleet page."""

    cluster: str
    #: Its latest reading; None while it was never read.
    reading: Reading | None
    #: Its maintenances; None when they could not be read.
    counts: Counts | None

    @property
    def level(self) -> str:
        """How the line looks: ok, warn, err, unreachable, or unread."""
        if self.reading is None:
            return "unread"
        if self.reading.health is None:
            return "unreachable"
        return self.reading.health.removeprefix("HEALTH_").lower()


def health_lines(readings: Mapping[str, Reading | None],
                 rows: Sequence[Row] | None) -> list[HealthLine]:
    """One line per cluster, in the order of readings; rows None: the maintenances are
    unknown."""
    counts = None if rows is None else counts_by_cluster(rows)
    return [HealthLine(cluster, reading,
                       None if counts is None else counts.get(cluster, Counts()))
            for cluster, reading in readings.items()]
