"""What every maintenance task shares: its context, progress, repetition and errors.

Task bodies take JSON arguments only: cluster and host names, OSD ids, a maintenance
reference. They are safe to run twice: each one reads what is already done first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NoReturn

from celery import Task

from ceph_tasks.errors import CephTaskError, DeadlineExceeded, Refused, TaskFailed
from ceph_tasks.tasks.context import TaskContext, context_of
from inventory import InventoryError

#: The state a running task reports its progress under (Celery's task meta).
PROGRESS = "PROGRESS"


def progress_key(task_id: str) -> str:
    """The ledger key under which a task's latest progress is kept."""
    return f"progress:{task_id}"


class MaintenanceTask(Task):  # type: ignore[misc]
    """Base class of cephmaint tasks: late acks, no automatic retries of failures."""

    abstract = True
    # A retry of a failed step is an operator's decision (workflow retry), never automatic:
    # the cause (an OSD down, a full cluster) needs a look first.
    autoretry_for = ()
    max_retries = None
    acks_late = True

    @property
    def context(self) -> TaskContext:
        """The worker's inventory and clients."""
        return context_of(self.app)

    def progress(self, **meta: Any) -> None:
        """Publish progress in the task's meta and in the ledger, where status readers look.

        A repeating task's meta turns to RETRY as soon as it repeats, so the ledger entry
        `progress:<task id>` of its reference is what a status reader finds between runs.
        """
        if not self.request.id or self.request.called_directly:
            return
        self.update_state(state=PROGRESS, meta=meta)
        reference = (self.request.kwargs or {}).get("reference")
        if isinstance(reference, str):
            self.context.ledger.note(reference, progress_key(self.request.id), meta)

    def again(self, *, reference: str, countdown: float, timeout: float, waiting_for: str,
              last_seen: str) -> NoReturn:
        """Run this task again after countdown, unless timeout has passed since its first run.

        The first run's time is kept in the ledger under the task id, so a re-delivered or
        retried message keeps the original deadline; an operator's retry is a new task id.
        """
        ctx = self.context
        now = ctx.now()
        first = datetime.fromisoformat(
            ctx.ledger.remember(reference, f"first-run:{self.request.id}", now.isoformat())
        )
        if now - first >= timedelta(seconds=timeout):
            raise DeadlineExceeded(
                f"{waiting_for}: still not done after {timeout:g} s; last seen: {last_seen}"
            )
        raise self.retry(countdown=countdown, max_retries=None)


@contextmanager
def step(what: str) -> Iterator[None]:
    """Turn any failure inside into TaskFailed naming the step (cluster, host, command)."""
    try:
        yield
    except TaskFailed:
        raise
    except (CephTaskError, InventoryError) as e:
        raise TaskFailed(f"{what}: {e}") from e


def refuse(what: str, reason: str) -> NoReturn:
    """Refuse a step: nothing was changed."""
    raise Refused(f"{what}: refused, nothing changed: {reason}")
