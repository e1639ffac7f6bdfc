"""Flags a maintenance sets: cluster-wide, on host buckets (noout) or on pools (scrubs).

Cluster-wide with `osd set`, on host buckets with `osd set-group` (noout only), on pools
with `osd pool set POOL noscrub 1`. Whether each flag was set before is recorded once in
the ledger, before it is set; the restore task (ceph_tasks.tasks.restore) unsets only the
flags this maintenance set, so an operator's stay.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.flag_plan import FlagError, FlagTarget, check_flags, flag_changes, targets
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.SET_FLAGS)  # type: ignore[untyped-decorator]
def set_flags(self: MaintenanceTask, cluster: str, reference: str, flags: list[str],
              hosts: list[str] | None = None, pools: list[str] | None = None
              ) -> dict[str, Any]:
    """Set flags cluster-wide, on the hosts' CRUSH buckets or on pools; skip those set."""
    what = f"cluster {cluster}: set flags {','.join(flags)}{_on(hosts, pools)}"
    ctx = self.context
    try:
        wanted = targets(check_flags(flags, hosts, pools), hosts, pools)
    except FlagError as e:
        refuse(what, str(e))
    with step(what):
        for host in hosts or ():
            ctx.host(cluster, host)
        ceph = ctx.ceph(cluster)
        dump = ceph.osd_dump()
    # A pool deleted since the plan was made has no scrubs left to pause.
    gone = sorted({t.pool for t in wanted if t.pool is not None} - set(dump.pool_flags))
    wanted = tuple(t for t in wanted if t.pool not in gone)
    done: list[FlagTarget] = []
    already: list[FlagTarget] = []
    for target in wanted:
        set_now = target.is_set(dump)
        with step(what):
            # Recorded before the change, once: a re-run reads the first answer back.
            ctx.ledger.remember(reference, target.ledger_key, set_now)
        (already if set_now else done).append(target)
    self.send(what, ceph, flag_changes(done, "set"))
    return {"cluster": cluster, "set": [t.describe() for t in done],
            "already_set": [t.describe() for t in already], "pools_gone": gone}


def _on(hosts: list[str] | None, pools: list[str] | None) -> str:
    if pools is not None:
        return f" on pool(s) {', '.join(pools)}"
    return "" if hosts is None else f" on {', '.join(hosts)}"
