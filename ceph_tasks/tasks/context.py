"""What a task body works with: the inventory and the clients of one worker process.

Task arguments are names (cluster, host, OSD ids); the context turns them into inventory
objects and clients. A worker builds one context on first use and keeps it, so that Ceph
and SSH connections are reused across tasks. Tests install a context of fakes on their app.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from celery import Celery

from ceph_tasks.app import settings_of
from ceph_tasks.audit import Scope, SqlAuditStore, Trail
from ceph_tasks.audit.adapters import (
    AuditedCephClient,
    AuditedDowntimes,
    AuditedExecutor,
    AuditedLedger,
    AuditedNotifier,
    AuditedTickets,
)
from ceph_tasks.ceph import Ceph, CephClient, RadosClient
from ceph_tasks.decisions.restoration import restorable_key
from ceph_tasks.errors import ConfigurationError
from ceph_tasks.ledger import Ledger, RedisLedger
from ceph_tasks.ledger_mirror import ConfigKeyMirror, MirroredLedger
from ceph_tasks.monitoring import (
    AlertmanagerSilences,
    DowntimeBackend,
    IcingaDowntimes,
    InstantQuery,
    PrometheusQuery,
)
from ceph_tasks.notify import TechnicianNotifier, TicketTracker, notifiers_for, tracker_for
from ceph_tasks.remote.daemons import HostDaemons
from ceph_tasks.remote.executor import RemoteExecutor
from ceph_tasks.remote.ssh import SshExecutor
from ceph_tasks.settings import Settings
from inventory import Cluster, Host, Inventory, InventoryError

CephFactory = Callable[[Cluster], CephClient]
#: A Prometheus base URL -> something that answers instant queries there.
QueryFactory = Callable[[str], InstantQuery]


@dataclass
class TaskContext:
    """The inventory, clients and clock that task bodies use; built once per worker."""

    inventory: Inventory
    ledger: Ledger
    executor: RemoteExecutor
    ceph_factory: CephFactory
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    query_factory: QueryFactory = PrometheusQuery
    #: Where changes are written down before they are made (None: not audited, in tests).
    trail: Trail | None = None
    _ceph: dict[str, Ceph] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cluster(self, name: str) -> Cluster:
        """The inventory's cluster called name (UnknownClusterError if none)."""
        return self.inventory.cluster(name)

    def host(self, cluster: str, host: str) -> Host:
        """The inventory's host of a cluster (UnknownHostError if none)."""
        return self.cluster(cluster).host(host)

    def ceph(self, cluster: str) -> Ceph:
        """Typed access to a cluster, over one connection kept for the worker's life."""
        with self._lock:
            if cluster not in self._ceph:
                client = self.ceph_factory(self.cluster(cluster))
                if self.trail is not None:
                    client = AuditedCephClient(client, self.trail, cluster)
                self._ceph[cluster] = Ceph(client)
            return self._ceph[cluster]

    def daemons(self, cluster: str, host: str) -> HostDaemons:
        """The OSD daemons and devices of a host, controlled over the executor."""
        return HostDaemons(self.executor, self.host(cluster, host))

    def downtimes(self, cluster: str) -> Sequence[DowntimeBackend]:
        """The monitoring systems to silence for a cluster's hosts (maybe none)."""
        targets = self.cluster(cluster).monitoring
        backends: list[DowntimeBackend] = []
        if targets.icinga is not None:
            backends.append(IcingaDowntimes(targets.icinga))
        if targets.alertmanager is not None:
            backends.append(AlertmanagerSilences(targets.alertmanager))
        if self.trail is not None:
            return [AuditedDowntimes(b, self.trail) for b in backends]
        return backends

    def prometheus(self, cluster: str) -> InstantQuery | None:
        """Where a cluster's client-impact query is asked, if its inventory names one."""
        check = self.cluster(cluster).client_impact.prometheus
        return None if check is None else self.query_factory(check.url)

    def notifiers(self, cluster: str) -> Sequence[TechnicianNotifier]:
        """The chat and e-mail channels that reach a cluster's technicians."""
        notifiers = notifiers_for(self.cluster(cluster).notifications)
        if self.trail is not None:
            return [AuditedNotifier(n, self.trail) for n in notifiers]
        return notifiers

    def tickets(self, cluster: str) -> TicketTracker | None:
        """The ticket system of a cluster's datacenter, if it has one."""
        client = tracker_for(self.cluster(cluster).notifications)
        if client is None or self.trail is None:
            return client
        return AuditedTickets(client, self.trail)

    def close(self) -> None:
        """Close every connection the context opened."""
        with self._lock:
            for ceph in self._ceph.values():
                ceph.client.close()
            self._ceph.clear()


def default_context(settings: Settings) -> TaskContext:
    """The context of a real worker: the inventory file, Redis, SSH, librados."""
    try:
        inventory = settings.inventory()
    except InventoryError as e:
        raise ConfigurationError(f"the inventory cannot be used: {e}") from e
    trail = Trail(SqlAuditStore.from_url(settings.audit_location), lambda: datetime.now(UTC),
                  Scope(actor=f"cephmaint on {socket.gethostname()}"))
    context = TaskContext(
        inventory=inventory,
        ledger=AuditedLedger(RedisLedger.from_url(settings.redis_url), trail, restorable_key),
        executor=AuditedExecutor(SshExecutor(), trail),
        ceph_factory=RadosClient.for_cluster,
        trail=trail,
    )
    # The restorable records are copied to the cluster too: the last resort after losing Redis.
    context.ledger = MirroredLedger(context.ledger,
                                    lambda cluster: ConfigKeyMirror(context.ceph(cluster).client),
                                    restorable_key)
    return context


_CONTEXT_ATTR = "cephmaint_context"
#: The stamp of a context a test installed: kept whatever the files do.
_INSTALLED = object()
_BUILD_LOCK = threading.Lock()


def context_of(app: Celery) -> TaskContext:
    """The context installed on app, or the default one built from its settings.

    A default context is built again when its inventory file changes: an operator who
    updates the inventory (new OSDs after a replacement) need not restart the workers.
    """
    with _BUILD_LOCK:
        installed: tuple[TaskContext, object] | None = getattr(app, _CONTEXT_ATTR, None)
        if installed is not None and installed[1] is _INSTALLED:
            return installed[0]
        settings = settings_of(app)
        stamp = inventory_stamp(settings.inventory_path)
        if installed is None or installed[1] != stamp:
            if installed is not None:
                installed[0].close()
            installed = (default_context(settings), stamp)
            setattr(app, _CONTEXT_ATTR, installed)
        return installed[0]


def install_context(app: Celery, context: TaskContext | None) -> None:
    """Give app's tasks this context (None: build the default one on next use)."""
    with _BUILD_LOCK:
        setattr(app, _CONTEXT_ATTR, None if context is None else (context, _INSTALLED))


def inventory_stamp(path: Path | None) -> tuple[tuple[str, int], ...]:
    """The inventory's files and their modification times: what a change would change."""
    if path is None:
        return ()
    files = sorted(path.glob("*.y*ml")) if path.is_dir() else [path]
    found = []
    for file in files:
        try:
            found.append((str(file), file.stat().st_mtime_ns))
        except OSError:
            found.append((str(file), -1))
    return tuple(found)
