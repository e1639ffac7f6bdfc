"""A failed disk's OSD: marked out at once, then waited on until Ceph says it is safe to destroy.

Ceph marks a down OSD out by itself only after mon_osd_down_out_interval (600 s by
default); until then its PGs stay degraded and nothing is recovered. Marking it out now
starts the recovery from the other copies. Its CRUSH weight is recorded first, so the new
disk's OSD is raised back to it; the out itself is recorded and never put back (the
monitor would mark a dead disk out anyway). A repeating task: it runs again until `osd
safe-to-destroy` lists the OSD, which Ceph answers only once every PG it held is whole
elsewhere.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.change import Change
from ceph_tasks.decisions.failed_osd import failed_osd_problem, out_key
from ceph_tasks.decisions.preconditions import safe_to_destroy_problem
from ceph_tasks.decisions.reweight_plan import ledger_key
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step

#: Recovering a disk's PGs from the other copies takes hours on real disks.
DEFAULT_TIMEOUT = 24 * 3600.0
DEFAULT_INTERVAL = 10.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.OUT_FAILED_OSD)  # type: ignore[untyped-decorator]
def out_failed_osd(self: MaintenanceTask, cluster: str, reference: str, osd_id: int,
                   timeout: float = DEFAULT_TIMEOUT,
                   interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Mark a failed OSD out (if Ceph has not yet) and wait until it is safe to destroy."""
    what = f"cluster {cluster}: recover the data of failed osd.{osd_id}"
    ctx = self.context
    with step(f"{what}: ceph osd tree, pg dump pgs_brief"):
        ceph = ctx.ceph(cluster)
        tree = ceph.osd_tree()
        held = len(ceph.pg_dump_brief().on_osd(osd_id))
    problem = failed_osd_problem(tree, osd_id, held)
    if problem:
        refuse(what, problem)
    node = tree.node(osd_id)
    if node is not None and node.crush_weight is not None:
        with step(what):
            # The weight its new disk is raised back to; a later run reads the first value.
            ctx.ledger.remember(reference, ledger_key(osd_id), node.crush_weight)
    if node is not None and not node.out:
        with step(what):
            ctx.ledger.remember(reference, out_key(osd_id), ctx.now().isoformat())
        self.send(what, ceph, [Change("osd out", {"ids": [str(osd_id)]}, f"osd out {osd_id}")])
    with step(f"{what}: ceph osd safe-to-destroy {osd_id}"):
        answer = ceph.safe_to_destroy([osd_id])
    waiting = safe_to_destroy_problem(answer, [osd_id])
    if waiting:
        with step(f"{what}: ceph status"):
            pgs = ceph.status().pgmap
        seen = (f"{pgs.degraded_objects}/{pgs.degraded_total} objects degraded, "
                f"{pgs.recovering + pgs.backfilling} PGs recovering")
        self.progress(status=f"recovering from the other copies: {seen}", osd=osd_id)
        self.again(reference=reference, countdown=interval, timeout=timeout,
                   waiting_for=f"{what}: osd.{osd_id} safe to destroy",
                   last_seen=f"{waiting}; {seen}")
    with step(what):
        marked = ctx.ledger.recall(reference, out_key(osd_id))
    return {"cluster": cluster, "osd": osd_id, "marked_out_at": marked,
            "summary": f"osd.{osd_id} out and safe to destroy: its PGs whole on other OSDs"}
