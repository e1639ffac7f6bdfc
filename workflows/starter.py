"""The task that starts a queued maintenance once its turn comes and the lease frees.

One such task is sent per queued maintenance. It repeats (a Celery retry, durable in the
broker like the guardian) until the maintenance is first in its cluster's line and the
lease can be taken; then it starts it as `run` would have, and takes it out of the line.
Whether the lease freed by a release or by expiry makes no difference. Its turn come, it
waits as well while the cluster is not healthy (data still moving after the maintenance
before it, a balancer turned back on): `run` would have refused to start then, and the
queued one would fail on its first step.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from ceph_tasks.app import settings_of
from ceph_tasks.decisions.preconditions import start_problems
from ceph_tasks.errors import CephTaskError
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.tasks.context import context_of
from dyrygent.errors import UnknownWorkflowError
from inventory import InventoryError
from workflows.engine import processor_of
from workflows.errors import ClusterBusy, SubmitError
from workflows.guardian import DEFAULT_INTERVAL
from workflows.leases import RedisLeases
from workflows.queueing import START_QUEUED_TASK, RedisQueue
from workflows.submission import start

log = logging.getLogger(__name__)

#: Ledger key of why a queued maintenance was given up when its turn came.
REFUSED_KEY = "queue-refused"
#: Ledger key of why a queued maintenance whose turn came has not started yet.
WAITING_KEY = "queue-waiting"


@shared_task(bind=True, name=START_QUEUED_TASK, max_retries=None, acks_late=True)  # type: ignore[untyped-decorator]
def start_queued(self: Task, cluster: str, reference: str,
                 interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Start the queued maintenance when it is first in line and the lease can be taken."""
    redis_url = settings_of(self.app).redis_url
    queue = RedisQueue.from_url(redis_url)
    line = queue.waiting(cluster)
    mine = next((q for q in line if q.reference == reference), None)
    if mine is None:
        return {"workflow": reference, "queued": False}
    if line[0].reference != reference:
        raise self.retry(countdown=interval)
    if _stored(self, reference):
        # Started by an earlier delivery of this task that did not live to say so.
        queue.remove(cluster, reference)
        return {"workflow": reference, "started": True}
    ledger = RedisLedger.from_url(redis_url)
    after = mine.entry.get("after")
    if after in {h.reference for h in RedisLeases.from_url(redis_url).holders(cluster)}:
        # It takes over hosts of that maintenance, which still puts back what it changed.
        ledger.note(reference, WAITING_KEY, f"waiting until {after} has ended")
        raise self.retry(countdown=interval)
    unhealthy = _not_healthy(self, cluster, len(mine.entry["plan"].get("failed", ())))
    if unhealthy:
        ledger.note(reference, WAITING_KEY, f"waiting until the cluster is healthy: "
                                            f"{'; '.join(unhealthy)}")
        raise self.retry(countdown=max(interval, 10.0))
    ledger.forget(reference, WAITING_KEY)
    try:
        start(mine.entry["plan"], self.app, deadline=mine.entry.get("deadline"),
              window_override=mine.entry.get("window_override"), by=mine.entry.get("by"))
    except ClusterBusy as e:
        if e.queueable:
            raise self.retry(countdown=interval) from e
        # A host of it went into another maintenance started meanwhile: waiting on would
        # work on that host twice. The operator sees why in `cephmaint status`.
        log.error("queued maintenance %s given up: %s", reference, e.reason)
        ledger.note(reference, REFUSED_KEY, e.reason)
        queue.remove(cluster, reference)
        return {"workflow": reference, "started": False, "refused": e.reason}
    except SubmitError as e:
        # The broker or Redis was away; everything was taken back: try again later.
        log.warning("queued maintenance %s could not start yet: %s", reference, e)
        raise self.retry(countdown=max(interval, 30.0)) from e
    queue.remove(cluster, reference)
    return {"workflow": reference, "started": True}


def _not_healthy(task: Task, cluster: str, failed: int) -> tuple[str, ...]:
    """Why the cluster is not ready for a maintenance to start, as `run` checks it."""
    ctx = context_of(task.app)
    try:
        status = ctx.ceph(cluster).status()
        return start_problems(status, ctx.cluster(cluster).health_allowlist, failed=failed)
    except (CephTaskError, InventoryError) as e:
        return (f"cannot read cluster {cluster}: {e}",)


def _stored(task: Task, reference: str) -> bool:
    try:
        processor_of(task.app).handle(reference).status()
    except UnknownWorkflowError:
        return False
    return True
