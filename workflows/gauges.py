"""The fleet's metrics for Prometheus, read from the state store at each scrape.

What runs where is in Redis, shared by every admin host: `cephmaint serve` reads it when
Prometheus scrapes, so the numbers are the same whichever server answers, and no process
has to stay up to keep a count. What only a worker sees (each step's duration, its runs)
is in workflows.worker_metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from celery import Celery
from kombu.exceptions import OperationalError
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ceph_tasks.app import settings_of
from ceph_tasks.errors import CephTaskError
from ceph_tasks.names import Hold
from dyrygent.errors import DyrygentError
from inventory import InventoryError
from workflows.errors import WorkflowsError
from workflows.leases import RedisLeases
from workflows.listing import Listed, Row
from workflows.maintenances import read_rows

#: How long a scrape waits for the workers to answer a ping.
PING_SECONDS = 0.5


@dataclass(frozen=True)
class FleetReading:
    """One look at the fleet: every maintenance's row, the leases and the live workers."""

    rows: Sequence[Row]
    #: Maintenances holding each cluster's lease.
    leases: Mapping[str, int]
    #: The workers that answered a ping, by name.
    workers: Sequence[str]


class FleetCollector(Collector):
    """Gauges of maintenances, holds, technicians' waits, data moved, leases and workers."""

    def __init__(self, read: Callable[[], FleetReading], now: Callable[[], float]) -> None:
        self.read, self.now = read, now

    def collect(self) -> Iterator[Metric]:
        """The metrics of one look; cephmaint_fleet_up 0 when the look failed."""
        up = GaugeMetricFamily("cephmaint_fleet_up",
                               "1 when the state store could be read for this scrape")
        try:
            reading = self.read()
        except (CephTaskError, WorkflowsError, DyrygentError, InventoryError):
            # A scrape without data, not an error page: Prometheus keeps scraping.
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from fleet_metrics(reading, self.now())


def fleet_reader(app: Celery, clusters: Callable[[], Sequence[str]]
                 ) -> Callable[[], FleetReading]:
    """Read the fleet (the clusters named now) through the Celery app that runs it: rows,
    leases, live workers."""
    def read() -> FleetReading:
        leases = RedisLeases.from_url(settings_of(app).redis_url)
        named = clusters()
        rows = [row for cluster in named for row in read_rows(app, cluster)]
        held = {cluster: len(leases.holders(cluster)) for cluster in named}
        try:
            answers = app.control.ping(timeout=PING_SECONDS) or []
        except (OperationalError, OSError):
            answers = []  # the broker is away: no worker can be told alive
        workers = sorted(name for answer in answers for name in answer)
        return FleetReading(rows, held, workers)
    return read


def fleet_metrics(reading: FleetReading, now: float) -> Iterator[Metric]:
    """The metric families of a reading (pure: the reading and the time are given)."""
    by_state = GaugeMetricFamily("cephmaint_maintenances",
                                 "Maintenances the state store knows, by cluster, kind and state",
                                 labels=["cluster", "kind", "state"])
    counts: dict[tuple[str, str, str], int] = {}
    for row in reading.rows:
        key = (row.cluster, row.kind, str(row.state))
        counts[key] = counts.get(key, 0) + 1
    clusters = sorted({row.cluster for row in reading.rows} | set(reading.leases))
    kinds = sorted({row.kind for row in reading.rows})
    for cluster in clusters:
        for kind in kinds:
            for state in Listed:  # every state, zeros too: a panel's line does not vanish
                by_state.add_metric([cluster, kind, str(state)],
                                    counts.get((cluster, kind, str(state)), 0))
    yield by_state

    live = [r for r in reading.rows if r.state not in (Listed.DONE, Listed.CANCELLED)]
    done = GaugeMetricFamily("cephmaint_maintenance_steps_done",
                             "Steps done (or skipped) of each maintenance not yet ended",
                             labels=["cluster", "reference", "kind"])
    total = GaugeMetricFamily("cephmaint_maintenance_steps",
                              "Steps of each maintenance not yet ended",
                              labels=["cluster", "reference", "kind"])
    for row in live:
        done.add_metric([row.cluster, row.reference, row.kind], row.done)
        total.add_metric([row.cluster, row.reference, row.kind], row.total)
    yield done
    yield total

    holds = GaugeMetricFamily("cephmaint_holds",
                              "Steps holding for something outside their maintenance, by why",
                              labels=["cluster", "reason"])
    held: dict[tuple[str, str], int] = {}
    for row in reading.rows:
        for hold in row.holds:
            held[(row.cluster, str(hold.kind))] = held.get((row.cluster, str(hold.kind)), 0) + 1
    for cluster in clusters:
        for reason in Hold:
            holds.add_metric([cluster, str(reason)], held.get((cluster, str(reason)), 0))
    yield holds

    waits = GaugeMetricFamily("cephmaint_technician_wait_seconds",
                              "How long each waiting technician step has waited",
                              labels=["cluster", "reference", "host"])
    for row in reading.rows:
        for hold in row.holds:
            if hold.kind == Hold.TECHNICIAN and hold.since is not None:
                waits.add_metric([row.cluster, row.reference, hold.host],
                                 max(now - hold.since, 0.0))
    yield waits

    objects = GaugeMetricFamily("cephmaint_data_moved_objects",
                                "Object copies recovery and backfill wrote since each "
                                "maintenance's first data movement",
                                labels=["cluster", "reference", "kind"])
    moved_bytes = GaugeMetricFamily("cephmaint_data_moved_bytes",
                                    "Bytes of those object copies",
                                    labels=["cluster", "reference", "kind"])
    for row in reading.rows:
        if row.moved is not None:
            objects.add_metric([row.cluster, row.reference, row.kind],
                               row.moved.get("objects", 0))
            moved_bytes.add_metric([row.cluster, row.reference, row.kind],
                                   row.moved.get("bytes", 0))
    yield objects
    yield moved_bytes

    leases = GaugeMetricFamily("cephmaint_leases_held",
                               "Maintenances holding each cluster's lease", labels=["cluster"])
    for cluster in clusters:
        leases.add_metric([cluster], reading.leases.get(cluster, 0))
    yield leases

    workers = GaugeMetricFamily("cephmaint_workers_up",
                                "Workers that answered a ping during this scrape")
    workers.add_metric([], len(reading.workers))
    yield workers
    worker = GaugeMetricFamily("cephmaint_worker_up", "1 for each worker that answered",
                               labels=["worker"])
    for name in sorted(reading.workers):
        worker.add_metric([name], 1)
    yield worker
