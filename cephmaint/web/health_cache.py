"""Each cluster's health for the fleet page, read off the request path.

The server may serve hundreds of clusters: a page view shows the latest reading of each,
and has the stale ones read again in a thread pool, without waiting for them. Only a
cluster never read yet is waited for, and no longer than the connect timeout, so that an
unreachable cluster slows neither the page nor the reads of the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from functools import partial

from ceph_tasks.ceph import Ceph, CephClient, RadosClient
from ceph_tasks.ceph.models import Status
from ceph_tasks.errors import CephTaskError
from cephmaint.web.health import MAX_AGE, Reading, failed_reading, reading_of, to_read
from inventory import Cluster

log = logging.getLogger(__name__)

#: Seconds to reach a cluster's monitors: one unreachable cluster holds a reader this long.
CONNECT_TIMEOUT = 5.0
#: Seconds a connected cluster has to answer `status`.
COMMAND_TIMEOUT = 10.0
#: Clusters read at once.
READERS = 16

#: A cluster's `status`, read now (blocking I/O; raises when it cannot be read).
Reader = Callable[[Cluster], Status]
#: The inventory's clusters now.
Clusters = Callable[[], Sequence[Cluster]]


def status_reader(connect: Callable[[Cluster], CephClient]) -> Reader:
    """A reader that connects to the cluster, reads `status` and closes the client."""
    def read(cluster: Cluster) -> Status:
        client = connect(cluster)
        try:
            return Ceph(client).status()
        finally:
            client.close()
    return read


def rados_reader(connect_timeout: float = CONNECT_TIMEOUT,
                 command_timeout: float = COMMAND_TIMEOUT) -> Reader:
    """The production reader: librados, with the inventory's access to each cluster."""
    return status_reader(partial(RadosClient.for_cluster, connect_timeout=connect_timeout,
                                 command_timeout=command_timeout))


class HealthCache:
    """The latest reading of each cluster of the inventory; calling it is a page view."""

    def __init__(self, clusters: Clusters, reader: Reader, clock: Callable[[], float], *,
                 executor: Executor | None = None, max_age: float = MAX_AGE,
                 first_wait: float = CONNECT_TIMEOUT) -> None:
        self.clusters = clusters
        self.reader = reader
        self.clock = clock
        self.max_age = max_age
        self.first_wait = first_wait
        self._executor = executor or ThreadPoolExecutor(READERS,
                                                        thread_name_prefix="cluster-health")
        self._readings: dict[str, Reading] = {}
        self._reads: dict[str, Future[Reading]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self) -> dict[str, Reading | None]:
        """Each cluster's latest reading; stale ones are read in the background, and those
        never read are waited for (up to first_wait)."""
        clusters = {cluster.name: cluster for cluster in self.clusters()}
        with self._lock:
            self._collect()
            # A read that ended since _collect is still in _reads: collected next time.
            due = [] if self._closed else to_read(clusters, self._readings, self._reads,
                                                  self.clock(), self.max_age)
            for name in due:
                self._reads[name] = self._executor.submit(self._read, clusters[name])
            first = [read for name, read in self._reads.items()
                     if name in clusters and name not in self._readings]
        if first:
            wait(first, timeout=self.first_wait)
        with self._lock:
            self._collect()
            # A cluster gone from the inventory is shown no more, nor kept.
            for name in set(self._readings) - set(clusters):
                del self._readings[name]
            return {name: self._readings.get(name) for name in clusters}

    def close(self) -> None:
        """Stop reading: reads not begun are dropped, those under way are not waited for;
        what was read is still shown."""
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _collect(self) -> None:
        # The reads that ended become the readings; the lock is held.
        for name, read in list(self._reads.items()):
            if not read.done():
                continue
            del self._reads[name]
            if read.cancelled():
                continue
            reading, before = read.result(), self._readings.get(name)
            # Logged when a cluster turns unreachable, not at each read while it stays so.
            if reading.error and (before is None or not before.error):
                log.warning("cannot read the health of cluster %s: %s", name, reading.error)
            self._readings[name] = reading

    def _read(self, cluster: Cluster) -> Reading:
        # Runs in the pool, without the lock: the result is collected by the next call.
        try:
            status = self.reader(cluster)
        except CephTaskError as e:
            return failed_reading(e, self.clock())
        except Exception as e:  # any failure belongs on the cluster's line, not lost in the pool
            log.exception("reading the health of cluster %s failed", cluster.name)
            return failed_reading(e, self.clock())
        return reading_of(status, self.clock())
