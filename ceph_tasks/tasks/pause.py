"""Pause Ceph's balancer and PG autoscaler while data moves, and put them back after.

The state before is recorded in the ledger, once per maintenance reference, before the
first change; restoring reads it back, so a re-run or a finaliser after a failure puts
back the same values (see ceph_tasks.decisions.movers).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import Pool
from ceph_tasks.decisions.movers import (
    BALANCER_KEY,
    Change,
    autoscale_key,
    pause_changes,
    restore_changes,
)
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, step


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.PAUSE_MOVERS)  # type: ignore[untyped-decorator]
def pause_movers(self: MaintenanceTask, cluster: str, reference: str) -> dict[str, Any]:
    """Balancer off, every pool's autoscaler from on to warn; what was there recorded first."""
    what = f"cluster {cluster}: pause the balancer and the PG autoscaler"
    ctx = self.context
    ceph, balancer, pools = _movers_now(what, self, cluster)
    with step(what):
        # Recorded before the change, once: a re-run reads the first answer back.
        ctx.ledger.remember(reference, BALANCER_KEY,
                            {"active": bool(balancer.get("active")),
                             "mode": str(balancer.get("mode", ""))})
        for pool in pools:
            ctx.ledger.remember(reference, autoscale_key(pool.pool_name),
                                pool.pg_autoscale_mode)
    changes = pause_changes(balancer, pools)
    _send(what, ceph, changes)
    return {"cluster": cluster, "changed": [c.says for c in changes]}


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.RESTORE_MOVERS)  # type: ignore[untyped-decorator]
def restore_movers(self: MaintenanceTask, cluster: str, reference: str) -> dict[str, Any]:
    """Put the balancer and each pool's autoscaler back as recorded; forget the record."""
    what = f"cluster {cluster}: restore the balancer and the PG autoscaler"
    ctx = self.context
    ceph, balancer, pools = _movers_now(what, self, cluster)
    with step(what):
        recorded = {key: value for key, value in ctx.ledger.entries(reference).items()
                    if key == BALANCER_KEY or key.startswith(autoscale_key(""))}
    changes = restore_changes(recorded, balancer, pools)
    _send(what, ceph, changes)
    with step(what):
        for key in recorded:
            # No longer ours: a later pause records afresh.
            ctx.ledger.forget(reference, key)
    return {"cluster": cluster, "changed": [c.says for c in changes]}


def _movers_now(what: str, task: MaintenanceTask, cluster: str
                ) -> tuple[Ceph, dict[str, Any], tuple[Pool, ...]]:
    """The cluster's client, its balancer's status and its pools, as they are now."""
    with step(f"{what}: ceph balancer status, osd pool ls detail"):
        ceph = task.context.ceph(cluster)
        answer = ceph.client.mgr_command("balancer status", format="json")
        return ceph, answer if isinstance(answer, dict) else {}, ceph.pool_ls_detail()


def _send(what: str, ceph: Ceph, changes: list[Change]) -> None:
    for change in changes:
        with step(f"{what}: ceph {change.says}"):
            if change.prefix.startswith("balancer"):
                ceph.client.mgr_command(change.prefix)
            else:
                ceph.client.mon_command(change.prefix, **change.args)
