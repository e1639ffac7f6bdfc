"""Deep-scrub the PGs of new OSDs, so that a bad new disk shows before the next failure.

A repeating task: its first run notes each PG's last deep-scrub stamp (in the ledger) and
asks each PG to deep-scrub (`pg deep-scrub PGID`, a manager command); later runs wait until
every noted PG has a newer stamp. Stamps are compared with the same PG's earlier stamp,
never with a clock. Ceph runs at most osd_max_scrubs scrubs per OSD at once: its own
throttle. A request lives in the PG's primary: a PG whose primary has changed since (the
balancer, back on, moving it) is asked again, or it would never be scrubbed (seen on the
sandbox: one PG of 50 waited for 15 minutes).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.osd_ids import reserved_ids
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step

DEFAULT_TIMEOUT = 24 * 3600.0
DEFAULT_INTERVAL = 10.0


def scrub_key(task_id: str) -> str:
    """The ledger key of the PGs (and their stamps before) a deep-scrub step waits for."""
    return f"deep-scrub:{task_id}"


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.DEEP_SCRUB_OSDS)  # type: ignore[untyped-decorator]
def deep_scrub_osds(self: MaintenanceTask, cluster: str, reference: str,
                    osd_ids: list[int] | None = None, host: str | None = None,
                    timeout: float = DEFAULT_TIMEOUT,
                    interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Deep-scrub every PG on these OSDs (or those this maintenance created on host)."""
    what = f"cluster {cluster}: deep-scrub the PGs of new OSDs"
    ctx = self.context
    with step(f"{what}: ceph osd tree"):
        ceph = ctx.ceph(cluster)
        tree = ceph.osd_tree()
        if osd_ids is None:
            on_host = tree.hosts().get(host or "", frozenset())
            osd_ids = sorted(set(reserved_ids(ctx.ledger.entries(reference)).values())
                             & on_host)
    if not osd_ids:
        refuse(what, f"no new OSD of this maintenance on host {host}")
    what = f"{what} {', '.join(f'osd.{o}' for o in osd_ids)}"
    key = scrub_key(str(self.request.id))
    with step(f"{what}: ceph pg dump pgs"):
        pgs = ceph.pg_objects()
        now = pgs.on_osds(osd_ids)
        before = ctx.ledger.recall(reference, key)
        asked = ctx.ledger.recall(reference, f"{key}:primaries") or {}
    if not isinstance(before, dict):
        with step(what):
            before = ctx.ledger.remember(reference, key, now)
        self.fence(what)
    # A PG gone since (merged) has nothing left to scrub.
    waiting = sorted(pg for pg, stamp in before.items() if now.get(pg) == stamp)
    primaries = pgs.primaries(waiting)
    ask = [pg for pg in waiting if pg in primaries and asked.get(pg) != primaries[pg]]
    if ask:
        with step(what):
            ctx.ledger.note(reference, f"{key}:primaries", {**asked, **{
                pg: primaries[pg] for pg in ask}})
        for pg in ask:
            # Per PG: `osd deep-scrub N` only reaches the PGs whose primary is osd.N.
            with step(f"{what}: ceph pg deep-scrub {pg}"):
                ceph.client.mgr_command("pg deep-scrub", pgid=pg)
    if waiting:
        seen = f"{len(before) - len(waiting)} of {len(before)} PGs deep-scrubbed"
        self.progress(status=f"deep-scrubbing: {seen}", waiting=waiting[:10])
        self.again(reference=reference, countdown=interval, timeout=timeout, waiting_for=what,
                   last_seen=seen)
    return {"cluster": cluster, "osds": [f"osd.{o}" for o in osd_ids], "pgs": len(before),
            "summary": f"{len(before)} PGs of {', '.join(f'osd.{o}' for o in osd_ids)} "
                       "deep-scrubbed"}
