"""Pause Ceph's balancer and PG autoscaler while data moves.

The state before is recorded in the ledger, once per maintenance reference, before the
first change; the restore task (ceph_tasks.tasks.restore) reads it back, so a re-run or a
finaliser after a failure puts back the same values (see ceph_tasks.decisions.movers).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import Pool
from ceph_tasks.decisions.movers import BALANCER_KEY, autoscale_key, pause_changes
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, step


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.PAUSE_MOVERS)  # type: ignore[untyped-decorator]
def pause_movers(self: MaintenanceTask, cluster: str, reference: str) -> dict[str, Any]:
    """Balancer off, every pool's autoscaler from on to warn; what was there recorded first."""
    what = f"cluster {cluster}: pause the balancer and the PG autoscaler"
    ctx = self.context
    with step(f"{what}: ceph balancer status, osd pool ls detail"):
        ceph = ctx.ceph(cluster)
        balancer, pools = movers_now(ceph)
    with step(what):
        # Recorded before the change, once: a re-run reads the first answer back.
        ctx.ledger.remember(reference, BALANCER_KEY,
                            {"active": bool(balancer.get("active")),
                             "mode": str(balancer.get("mode", ""))})
        for pool in pools:
            ctx.ledger.remember(reference, autoscale_key(pool.pool_name),
                                pool.pg_autoscale_mode)
    changes = pause_changes(balancer, pools)
    self.send(what, ceph, changes)
    return {"cluster": cluster, "changed": [c.says for c in changes]}


def movers_now(ceph: Ceph) -> tuple[dict[str, Any], tuple[Pool, ...]]:
    """The balancer's status and the pools, as they are now."""
    answer = ceph.client.mgr_command("balancer status", format="json")
    return answer if isinstance(answer, dict) else {}, ceph.pool_ls_detail()
