"""Holds a data-moving step makes before it moves more: client impact, full OSDs, a wait.

Shared by the steps that move data (the reweight, the upmap moves): each asks before its
next move, says why it holds in its progress, and runs again after the inventory's
interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NoReturn

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import Health
from ceph_tasks.decisions.client_impact import QueryReading, hold_reason
from ceph_tasks.decisions.fullness_hold import fullness_hold, hold_expired
from ceph_tasks.errors import MonitoringError, TaskFailed
from ceph_tasks.names import Hold
from ceph_tasks.tasks import base
from ceph_tasks.tasks.base import MaintenanceTask
from ceph_tasks.tasks.context import TaskContext
from inventory import Throttles


def hold(task: MaintenanceTask, kind: Hold, why: str, current: Mapping[int, float], what: str,
         reference: str, throttles: Throttles, timeout: float) -> NoReturn:
    """No weight change this run: say why in status and look again after the interval."""
    held = f"holding: {why}"
    task.progress(status=held, hold=kind, weights=named(current))
    task.again(reference=reference, countdown=throttles.step_interval_seconds,
               timeout=timeout, waiting_for=what, last_seen=held)


def client_impact(ctx: TaskContext, cluster: str, ceph: Ceph, health: Health,
                   what: str) -> str | None:
    """What clients feel, as a reason to hold (None: nothing over the inventory's limits)."""
    limits = ctx.cluster(cluster).client_impact
    with base.step(f"{what}: ceph osd perf"):
        perf = ceph.osd_perf()
    reading = None
    check = limits.prometheus
    if check is not None:
        query = ctx.prometheus(cluster)
        try:
            reading = QueryReading(check.query, None if query is None
                                   else query.largest(check.query))
        except MonitoringError as e:
            reading = QueryReading(check.query, error=str(e))
    return hold_reason(health, perf, limits, reading)


def hold_while_full(task: MaintenanceTask, what: str, reference: str, ceph: Ceph,
                    checks: set[str], current: Mapping[int, float], draining: set[int],
                    throttles: Throttles, timeout: float) -> None:
    """Return when no OSD is (near) full; else publish why, run again later, or fail.

    The hold's start is kept in the ledger so that the limit counts from the first run
    that held, across runs; a run that finds nothing full forgets it.
    """
    with base.step(f"{what}: ceph osd df, osd dump"):
        reason = fullness_hold(ceph.osd_df(), ceph.osd_dump(), checks, draining)
    ctx, key = task.context, f"fullness-hold:{task.request.id}"
    if reason is None:
        ctx.ledger.forget(reference, key)
        return
    now = ctx.now()
    since = datetime.fromisoformat(str(ctx.ledger.remember(reference, key, now.isoformat())))
    held = (now - since).total_seconds()
    if hold_expired(held, throttles.full_hold_limit_seconds):
        raise TaskFailed(f"{what}: held {held:g} s on full OSDs, past the limit of "
                         f"{throttles.full_hold_limit_seconds:g} s (inventory "
                         f"throttles.full_hold_limit_seconds); {reason}")
    task.progress(status=f"holding: {reason}", hold=Hold.FULLNESS, weights=named(current),
                  held_seconds=held)
    task.again(reference=reference, countdown=throttles.step_interval_seconds,
               timeout=timeout, waiting_for=what, last_seen=reason)


def named(weights: Mapping[int, float]) -> dict[str, float]:
    """Weights by OSD name (JSON object keys are strings): {"osd.4": 0.5}."""
    return {f"osd.{osd}": round(weight, 5) for osd, weight in sorted(weights.items())}
