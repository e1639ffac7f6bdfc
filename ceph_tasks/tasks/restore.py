"""The one restore path: put back everything a maintenance recorded in the ledger.

Flags, the balancer and the autoscaler, monitoring downtimes: read from the ledger, compared
with the cluster now, put back where they are still as the maintenance left them, and the
records dropped once done (see ceph_tasks.decisions.restoration). The end of every plan, its
finalisers after a failure or a cancel, and a retry all run this task; the drained OSDs'
weights come back through the reweight task (rollback), under the same throttle as a drain.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.restoration import (
    Kind,
    ceph_restores,
    downtime_hosts,
    kinds_of,
    recorded,
)
from ceph_tasks.errors import TaskFailed
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step
from ceph_tasks.tasks.downtime import lift_downtime
from ceph_tasks.tasks.pause import movers_now


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.RESTORE)  # type: ignore[untyped-decorator]
def restore(self: MaintenanceTask, cluster: str, reference: str,
            kinds: list[str] | None = None) -> dict[str, Any]:
    """Put back the recorded changes of these kinds (flags, movers, downtimes; None: all)."""
    what = f"cluster {cluster}: restore what {reference} changed"
    ctx = self.context
    try:
        wanted = kinds_of(kinds)
    except ValueError as e:
        refuse(what, str(e))
    with step(what):
        entries = recorded(ctx.ledger.entries(reference), wanted)
    ceph_entries = recorded(entries, [k for k in wanted if k is not Kind.DOWNTIMES])
    changes = []
    if ceph_entries:
        with step(f"{what}: ceph osd dump, balancer status, osd pool ls detail"):
            ceph = ctx.ceph(cluster)
            balancer, pools = movers_now(ceph)
            changes = ceph_restores(ceph_entries, ceph.osd_dump(), pools, balancer)
        self.send(what, ceph, changes)
        with step(what):
            for key in ceph_entries:
                # No longer ours: a later change records afresh.
                ctx.ledger.forget(reference, key)
    lifted: dict[str, dict[str, int]] = {}
    failed: list[str] = []
    for host in downtime_hosts(entries):
        try:
            lifted[host] = lift_downtime(self, cluster, host, reference)
        except TaskFailed as e:
            failed.append(str(e))  # the other hosts' downtimes are still lifted
    if failed:
        raise TaskFailed("; ".join(failed))
    return {"cluster": cluster, "changed": [c.says for c in changes], "downtimes": lifted}
