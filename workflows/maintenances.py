"""`list`'s I/O: read every maintenance of a cluster, queued or started, into rows.

The started ones come from the registry (and the cluster's lease, for one started before
the registry was kept), each with its recorded plan, the engine's status
and the progress notes of its steps under way; the queued ones from the cluster's queue.
A started maintenance whose workflow state has expired is left out (and forgotten).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from celery import Celery

from ceph_tasks.app import settings_of
from ceph_tasks.decisions.data_moved import MOVED_KEY
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.tasks.base import progress_key
from dyrygent.errors import UnknownNodeError, UnknownWorkflowError
from dyrygent.processor import task_id
from dyrygent.states import NodeState
from dyrygent.store import StateStore
from workflows.engine import processor_of
from workflows.leases import RedisLeases
from workflows.listing import Row, Running, queued_row, started_row
from workflows.queueing import RedisQueue
from workflows.registry import RedisRegistry
from workflows.starter import WAITING_KEY


def read_rows(app: Celery, cluster: str, since: float | None = None) -> list[Row]:
    """Every maintenance of cluster the state store still knows (started since a time)."""
    redis_url = settings_of(app).redis_url
    ledger = RedisLedger.from_url(redis_url)
    registry = RedisRegistry.from_url(redis_url)
    processor = processor_of(app)
    rows, expired = [], []
    starts: list[tuple[str, float | None, str]] = [
        (s.reference, s.at, s.by) for s in registry.started(cluster, since)]
    if since is None:
        # One started by a version that kept no registry holds its lease (start unknown).
        known = {reference for reference, _, _ in starts}
        starts += [(h.reference, None, "") for h in RedisLeases.from_url(redis_url).holders(
            cluster) if h.reference not in known]
    for reference, at, by in starts:
        handle = processor.handle(reference)
        try:
            status = handle.status()
        except UnknownWorkflowError:
            expired.append(reference)
            continue
        recorded = ledger.recall(reference, "plan")
        plan = recorded if isinstance(recorded, dict) else {}
        steps = {s["id"]: s for s in plan.get("steps", ())}
        running = _running(handle.engine.store, reference, ledger, steps)
        moved = ledger.recall(reference, MOVED_KEY)
        rows.append(started_row(plan, status, running, at, by,
                                moved if isinstance(moved, dict) else None))
    registry.remove(cluster, expired)
    for position, queued in enumerate(RedisQueue.from_url(redis_url).waiting(cluster), 1):
        waiting = ledger.recall(queued.reference, WAITING_KEY) if position == 1 else None
        entry = queued.entry
        rows.append(queued_row(cluster, entry["plan"], position,
                               None if waiting is None else str(waiting),
                               entry.get("queued_at"), str(entry.get("by", ""))))
    return rows


def _running(store: StateStore, workflow: str, ledger: RedisLedger,
             steps: Mapping[str, Mapping[str, Any]]) -> list[Running]:
    """The steps under way, each with the progress its current attempt noted."""
    found = []
    for active in store.active(workflow):
        if active.state != NodeState.RUNNING:
            continue
        try:
            node_id = store.definition(workflow, active.index)["id"]
        except UnknownNodeError:
            continue
        noted = ledger.recall(workflow, progress_key(task_id(workflow, active.index,
                                                               active.attempt)))
        step = steps.get(node_id, {})
        found.append(Running(str(step.get("title", node_id)),
                             noted if isinstance(noted, dict) else {},
                             str(step.get("task", "")),
                             str(step.get("kwargs", {}).get("host") or "")))
    return found
