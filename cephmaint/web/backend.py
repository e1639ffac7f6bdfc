"""What the maintenance and technicians' pages read and change: the maintenances' engine,
ledger, queue and registry (all through the Celery app that runs them), the inventory and
the audit trail. Every call is blocking I/O: handlers run them in the thread pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from celery import Celery

from ceph_tasks.app import settings_of
from ceph_tasks.audit import Query, Record
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.settings import Settings
from ceph_tasks.tasks.context import inventory_stamp
from dyrygent.errors import UnknownWorkflowError
from dyrygent.handle import WorkflowHandle
from inventory import Inventory
from workflows.engine import processor_of
from workflows.queueing import Queued, RedisQueue
from workflows.registry import RedisRegistry, Started

#: The newest audit entries a page shows; `cephmaint audit` has them all.
AUDIT_SHOWN = 200


class AuditReader(Protocol):
    """The audit trail as the pages read it."""

    def records(self, query: Query) -> list[Record]:
        """The records that match, oldest first."""
        ...


class OnceHandle(WorkflowHandle):
    """A workflow's handle that reads its event log once: a page reads it twice (the
    steps' times, the recent events), and a wait of days logs thousands of looks."""

    _events: list[dict[str, Any]] | None = None

    def events(self, start: int = 0) -> list[dict[str, Any]]:
        """The event log from start, read from the store the first time only."""
        if self._events is None:
            self._events = super().events()
        return self._events[start:]


@dataclass
class Maintenances:
    """The maintenances of the fleet, through the Celery app that runs them."""

    app: Celery
    #: The inventory now (a file changed on disk is read again).
    inventory: Callable[[], Inventory]
    audit: AuditReader

    @cached_property
    def settings(self) -> Settings:
        """The settings the app was made with (its Redis, its audit trail)."""
        return settings_of(self.app)

    @cached_property
    def ledger(self) -> RedisLedger:
        """The ledger of every maintenance."""
        return RedisLedger.from_url(self.settings.redis_url)

    @cached_property
    def queue(self) -> RedisQueue:
        """The clusters' queues of maintenances waiting for their lease."""
        return RedisQueue.from_url(self.settings.redis_url)

    @cached_property
    def registry(self) -> RedisRegistry:
        """Who started which maintenance, and when."""
        return RedisRegistry.from_url(self.settings.redis_url)

    def clusters(self) -> list[str]:
        """The inventory's clusters, by name."""
        return [cluster.name for cluster in self.inventory().clusters]

    def handle(self, reference: str) -> OnceHandle | None:
        """A started maintenance's workflow; None when the state store does not know it."""
        handle = OnceHandle(processor_of(self.app).engine, reference)
        try:
            handle.status()
        except UnknownWorkflowError:
            return None
        return handle

    def plan(self, reference: str) -> dict[str, Any]:
        """The plan recorded when the maintenance started (empty for a bare workflow)."""
        plan = self.ledger.recall(reference, "plan")
        return plan if isinstance(plan, dict) else {}

    def queued(self, reference: str) -> tuple[str, int, Queued] | None:
        """A queued maintenance's cluster, place in line (1 is next) and entry."""
        where = self.queue.position(reference)
        if where is None:
            return None
        cluster, position = where
        found = next((q for q in self.queue.waiting(cluster) if q.reference == reference),
                     None)
        return None if found is None else (cluster, position, found)

    def started(self, cluster: str, reference: str) -> Started | None:
        """When and by whom a maintenance was started, if the registry has it."""
        return next((s for s in self.registry.started(cluster) if s.reference == reference),
                    None)

    def started_everywhere(self) -> Iterator[tuple[str, Started]]:
        """Every started maintenance the registry knows, with its cluster."""
        for cluster in self.clusters():
            for started in self.registry.started(cluster):
                yield cluster, started

    def audit_of(self, reference: str, limit: int = AUDIT_SHOWN) -> Sequence[Record]:
        """The newest audit entries of a maintenance, oldest first."""
        return self.audit.records(Query(reference=reference, limit=limit))


class InventoryFile:
    """The inventory the settings name, read again when its files change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._seen: object = None
        self._inventory: Inventory | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Inventory:
        """The inventory now."""
        stamp = inventory_stamp(self.settings.inventory_path)
        with self._lock:
            if self._inventory is None or stamp != self._seen:
                self._inventory = self.settings.inventory()
                self._seen = stamp
            return self._inventory
