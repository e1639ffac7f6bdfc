"""What every maintenance task shares: its context, progress, repetition and errors.

Task bodies take JSON arguments only: cluster and host names, OSD ids, a maintenance
reference. They are safe to run twice: each one reads what is already done first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NoReturn

from celery import Celery, Task
from celery.exceptions import Ignore

from ceph_tasks.audit import Scope, within
from ceph_tasks.ceph import Ceph
from ceph_tasks.decisions.change import Change
from ceph_tasks.decisions.data_moved import BASE_KEY, MOVED_KEY, Moved, counters, moved_since
from ceph_tasks.decisions.windows import WINDOW_OVERRIDE_KEY, window_verdict, windows_for
from ceph_tasks.errors import CephTaskError, DeadlineExceeded, Refused, TaskFailed
from ceph_tasks.tasks.context import TaskContext, context_of
from inventory import InventoryError

#: The state a running task reports its progress under (Celery's task meta).
PROGRESS = "PROGRESS"
#: Longest pause between two looks at a closed window: an operator's --now or an inventory
#: change is noticed within this.
WINDOW_POLL_SECONDS = 60.0
#: The app attribute holding the check that a running task is still wanted (see fence).
_FENCE_ATTR = "cephmaint_fence"

log = logging.getLogger(__name__)


def progress_key(task_id: str) -> str:
    """The ledger key under which a task's latest progress is kept."""
    return f"progress:{task_id}"


def first_run_key(task_id: str) -> str:
    """Ledger key of a task's first run: its deadline counts from there."""
    return f"first-run:{task_id}"


def window_waited_key(task_id: str) -> str:
    """Ledger key of the seconds a task has waited for windows (not counted in its deadline)."""
    return f"window-waited:{task_id}"


def window_wait_start_key(task_id: str) -> str:
    """Ledger key of when a task's current wait for a window began."""
    return f"window-wait-start:{task_id}"


def install_fence(app: Celery, current: Callable[[str], bool]) -> None:
    """Have app's maintenance tasks ask current(task id) before each change they send."""
    setattr(app, _FENCE_ATTR, current)


class MaintenanceTask(Task):  # type: ignore[misc]
    """Base class of cephmaint tasks: late acks, no automatic retries of failures."""

    abstract = True
    # A retry of a failed step is an operator's decision (workflow retry), never automatic:
    # the cause (an OSD down, a full cluster) needs a look first.
    autoretry_for = ()
    max_retries = None
    acks_late = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the body inside its audit scope: what it changes is written down as this step's."""
        request = self.request
        name = str(self.name).rsplit(".", 1)[-1]
        scope = Scope(actor=f"worker {request.hostname or 'in process'}",
                      cluster=str(kwargs.get("cluster") or ""), host=str(kwargs.get("host") or ""),
                      reference=str(kwargs.get("reference") or ""),
                      step=f"{name} {request.id}" if request.id else name)
        with within(scope):
            return super().__call__(*args, **kwargs)

    def fence(self, what: str) -> None:
        """Stop here, changing nothing more, if this run is no longer wanted.

        A cancel revokes a running task without stopping it, and the guardian then undoes
        the maintenance's changes: a change sent after that (a drain's next weight step)
        would outlive the restore. Asked just before each change; Ignore ends the run
        without a result (its workflow node is already CANCELLED or re-sent).
        """
        current = getattr(self.app, _FENCE_ATTR, None)
        tid = self.request.id
        if current is None or not tid or self.request.called_directly or current(str(tid)):
            return
        log.warning("%s: not sent: this run of the step was cancelled or sent again", what)
        raise Ignore()

    def send(self, what: str, ceph: Ceph, changes: Sequence[Change]) -> None:
        """Send each change, in order, to the monitors or the manager; a failure names it."""
        for change in changes:
            # Asked before each one: a cancel can come between two of them.
            self.fence(what)
            with step(f"{what}: ceph {change.says}"):
                if change.mgr:
                    ceph.client.mgr_command(change.prefix, **change.args)
                else:
                    ceph.client.mon_command(change.prefix, **change.args)

    @property
    def context(self) -> TaskContext:
        """The worker's inventory and clients."""
        return context_of(self.app)

    def note_data_moved(self, reference: str, ceph: Ceph) -> Moved:
        """Read Ceph's recovery counters and note what moved since the maintenance's first
        look (that first look keeps the base), for list, the page and /metrics."""
        ctx = self.context
        with step("ceph pg dump pgs (recovery counters)"):
            pgs = ceph.pg_objects()
            base = ctx.ledger.remember(reference, BASE_KEY, counters(pgs))
            moved = moved_since(base if isinstance(base, dict) else {}, pgs)
            ctx.ledger.note(reference, MOVED_KEY, moved.to_json())
        return moved

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
            ctx.ledger.remember(reference, first_run_key(str(self.request.id)), now.isoformat())
        )
        # Time spent waiting for a maintenance window is not time spent on the work.
        waited = float(ctx.ledger.recall(reference, window_waited_key(str(self.request.id))) or 0)
        if now - first - timedelta(seconds=waited) >= timedelta(seconds=timeout):
            raise DeadlineExceeded(
                f"{waiting_for}: still not done after {timeout:g} s; last seen: {last_seen}"
            )
        raise self.retry(countdown=countdown, max_retries=None)

    def wait_for_window(self, *, cluster: str, reference: str, hosts: Sequence[str]) -> None:
        """Return if the windows that apply to hosts are open (or overridden); else wait.

        Waiting is a Celery retry at the opening (at most WINDOW_POLL_SECONDS away), with
        "waiting for window: opens ..." published as progress for status.
        """
        ctx = self.context
        now = ctx.now()
        with step(f"cluster {cluster}: maintenance windows"):
            sets = windows_for(ctx.cluster(cluster), hosts)
            override = ctx.ledger.recall(reference, WINDOW_OVERRIDE_KEY)
            verdict = window_verdict(sets, now, override if isinstance(override, dict) else None)
        task_id = str(self.request.id)
        began = ctx.ledger.recall(reference, window_wait_start_key(task_id))
        if verdict.open:
            if isinstance(began, str):
                waited = float(ctx.ledger.recall(reference, window_waited_key(task_id)) or 0)
                waited += (now - datetime.fromisoformat(began)).total_seconds()
                ctx.ledger.note(reference, window_waited_key(task_id), waited)
                ctx.ledger.forget(reference, window_wait_start_key(task_id))
            return
        # The deadline counts from the first run, and the wait is taken off it again.
        ctx.ledger.remember(reference, first_run_key(task_id), now.isoformat())
        ctx.ledger.remember(reference, window_wait_start_key(task_id), now.isoformat())
        opens = verdict.opens_at.isoformat() if verdict.opens_at else None
        self.progress(status=verdict.reason, opens=opens)
        countdown = min(max(verdict.seconds_to_wait(now), 1.0), WINDOW_POLL_SECONDS)
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
