"""Wait for a healthy cluster: a repeating task (a Celery retry per look, never a sleep).

It succeeds once several looks in a row, under one osdmap epoch, find every PG active+clean,
no misplaced, degraded or unfound objects and no health check beyond the tolerated codes
(see ceph_tasks.decisions.health_gate). Past its deadline it fails naming what it saw last.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.health_gate import BASELINE_KEY, Baseline, Streak, advance_streak, assess
from ceph_tasks.errors import CephCommandTimeout, CephConnectError
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step

#: After a large drain, data can take many hours to settle; a workflow sets its own deadline.
DEFAULT_TIMEOUT = 24 * 3600.0
DEFAULT_INTERVAL = 10.0
#: Healthy looks in a row needed: with the interval, healthy for 2 intervals at least.
DEFAULT_CONFIRMATIONS = 3


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.WAIT_HEALTHY)  # type: ignore[untyped-decorator]
def wait_healthy(self: MaintenanceTask, cluster: str, reference: str,
                 tolerate: list[str] | None = None, timeout: float = DEFAULT_TIMEOUT,
                 interval: float = DEFAULT_INTERVAL,
                 confirmations: int = DEFAULT_CONFIRMATIONS) -> dict[str, Any]:
    """Succeed when the cluster is healthy on consecutive looks; tolerate: codes ignored."""
    what = f"cluster {cluster}: wait for a healthy cluster"
    if confirmations < 1 or interval <= 0 or timeout <= 0:
        refuse(what, "confirmations, interval and timeout must be positive")
    ctx = self.context
    key = f"healthy-streak:{self.request.id}"
    with step(f"{what}: ceph status"):
        allowed = ctx.cluster(cluster).health_allowlist
        recorded = ctx.ledger.recall(reference, BASELINE_KEY)
        try:
            status = ctx.ceph(cluster).status()
        except (CephConnectError, CephCommandTimeout) as e:
            # The monitors restart or elect (librados hunts for one meanwhile): a look
            # that finds none is not healthy, and the wait goes on within its deadline.
            ctx.ledger.forget(reference, key)
            self.progress(cluster=cluster, healthy=False, healthy_looks=0,
                          reasons=[f"the monitors do not answer: {e}"])
            self.again(reference=reference, countdown=interval, timeout=timeout,
                       waiting_for=what, last_seen=f"the monitors do not answer: {e}")
    baseline = Baseline.from_json(recorded) if isinstance(recorded, dict) else None
    verdict = assess(status, tolerate or (), allowed=allowed, baseline=baseline)
    # The streak lives in the ledger under the task id: a retry is a new message, possibly
    # on another worker, and must know how many healthy looks came before it.
    with step(what):
        stored = ctx.ledger.recall(reference, key)
        streak = advance_streak(None if stored is None else Streak(**stored), verdict)
        ctx.ledger.forget(reference, key)
        if streak is not None and streak.count < confirmations:
            ctx.ledger.remember(reference, key, {"epoch": streak.epoch, "count": streak.count})
    looks = 0 if streak is None else streak.count
    report = {"cluster": cluster, "healthy": verdict.healthy, "healthy_looks": looks,
              "confirmations": confirmations, "reasons": list(verdict.reasons),
              **verdict.progress}
    if looks >= confirmations:
        # The last of the movement a drain or fill started ends here: its total is noted.
        moved = self.note_data_moved(reference, ctx.ceph(cluster))
        return {**report, "moved": moved.to_json()}
    self.progress(**report)
    seen = verdict.seen() if not verdict.healthy else (
        f"healthy on {looks} of {confirmations} looks in a row; {verdict.seen()}")
    self.again(reference=reference, countdown=interval, timeout=timeout, waiting_for=what,
               last_seen=seen)
