"""Moving data once: pin remapped PGs where their data is, then move copies off a host.

`pin_placement` follows a weight change made under `norebalance`: it holds every remapped
PG on the OSDs that have its data (nothing moves), then lifts the `norebalance` this
maintenance set. `move_off` then sends the copies of a leaving host's OSDs straight to the
new host's, or `release_pins` lets the pinned PGs go where CRUSH puts them; both a batch
at a time under the backfill cap and the same holds as a reweight.
Each PG's upmap items before the maintenance first changed them are recorded in the
ledger before the change (ceph_tasks.decisions.upmaps).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import OsdDump, PgDump, Pool
from ceph_tasks.decisions.flag_plan import FlagTarget, flag_changes, to_restore
from ceph_tasks.decisions.movers import resizing_pools
from ceph_tasks.decisions.upmaps import (
    Pin,
    copies_on,
    ledger_key,
    next_moves,
    pins_for_remapped,
    placements,
    recorded_items,
    releases,
    settled,
)
from ceph_tasks.names import Hold, TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step
from ceph_tasks.tasks.holds import client_impact, hold, hold_while_full

#: A move across a host can take days; a workflow sets its own deadline.
DEFAULT_TIMEOUT = 3 * 24 * 3600.0
#: Looks in a row that must find nothing remapped before `norebalance` is lifted: right
#: after a weight change the PG map can still show the old mapping for a moment.
SETTLED_LOOKS = 3
#: Seconds between two looks while PGs peer or a batch moves.
LOOK_INTERVAL = 1.0

NOREBALANCE = FlagTarget("norebalance")


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.PIN_PLACEMENT)  # type: ignore[untyped-decorator]
def pin_placement(self: MaintenanceTask, cluster: str, reference: str,
                  timeout: float = 3600.0) -> dict[str, Any]:
    """Pin every remapped PG onto the OSDs holding its data, then lift our norebalance."""
    what = f"cluster {cluster}: pin remapped PGs where their data is"
    ctx = self.context
    with step(f"{what}: ceph pg dump pgs_brief, osd dump, osd tree, pools, rules"):
        ceph = ctx.ceph(cluster)
        pgs, dump, tree = ceph.pg_dump_brief(), ceph.osd_dump(), ceph.osd_tree()
        pools = placements(tree, ceph.pool_ls_detail(), ceph.crush_rule_dump())
    pins = pins_for_remapped(pgs, dump.upmaps, tree.crush_weights(), pools)
    looks_key, sent_key = f"pin-looks:{self.request.id}", f"pin-sent:{self.request.id}"
    # A pin sent before and still asked for was not kept by the monitors: it is not sent
    # again, and that PG's data moves to where CRUSH puts it.
    sent = ctx.ledger.recall(reference, sent_key) or []
    fresh = [p for p in pins if [p.pgid, [list(i) for i in p.after]] not in sent]
    if fresh:
        # Every pin ever sent, not only the last look's: two sets of pins the monitors
        # drop in turn would otherwise be sent again and again.
        ctx.ledger.note(reference, sent_key, sent + [[p.pgid, [list(i) for i in p.after]]
                                                     for p in fresh])
        _record_and_send(self, what, ceph, reference, fresh)
        ctx.ledger.forget(reference, looks_key)
    else:
        looks = int(ctx.ledger.recall(reference, looks_key) or 0) + 1
        ctx.ledger.note(reference, looks_key, looks)
        if looks >= SETTLED_LOOKS:
            lifted = _lift_norebalance(self, what, ceph, reference, dump)
            return {"cluster": cluster, "pins": len(dump.upmaps), "norebalance_lifted": lifted,
                    "not_kept": sorted(p.pgid for p in pins)}
    remapped = sum(1 for pg in pgs.pg_stats if pg.up != pg.acting)
    self.progress(status=f"{len(fresh)} PG(s) pinned; {remapped} remapped", pinned=len(fresh))
    self.again(reference=reference, countdown=LOOK_INTERVAL, timeout=timeout,
               waiting_for=what, last_seen=f"{remapped} PG(s) remapped")


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.MOVE_OFF)  # type: ignore[untyped-decorator]
def move_off(self: MaintenanceTask, cluster: str, reference: str, host: str,
             to_host: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Move every copy on host's OSDs straight to to_host's (None: to the least loaded OSDs
    of the other hosts), a batch at a time."""
    what = (f"cluster {cluster}: move the data of {host} to {to_host or 'the other hosts'}, "
            "each copy once")
    ctx = self.context
    inventory = ctx.cluster(cluster)
    throttles = inventory.throttles
    with step(f"{what}: ceph pg dump pgs_brief, osd dump, osd tree, pools, rules"):
        ceph = ctx.ceph(cluster)
        pgs, dump, tree = ceph.pg_dump_brief(), ceph.osd_dump(), ceph.osd_tree()
        pool_list = ceph.pool_ls_detail()
        pools = placements(tree, pool_list, ceph.crush_rule_dump())
    hosts = tree.hosts()
    for name in (host, to_host):
        if name is not None and name not in hosts:
            refuse(what, f"{name} is not a host in CRUSH")
    leaving = hosts[host]
    arriving = hosts[to_host] if to_host is not None else frozenset()
    moved = self.note_data_moved(reference, ceph)
    left = copies_on(pgs, leaving)
    report: dict[str, Any] = {"cluster": cluster, "host": host, "to_host": to_host,
                              "pgs_left": left, "moved": moved.to_json()}
    if left == 0:
        return {**report, "done": True}
    _before_a_batch(self, what, ceph, reference, pgs, pool_list,
                    [host, to_host] if to_host else [host], set(leaving), report, timeout)
    batch = next_moves(pgs, dump.upmaps, tree, pools, leaving, arriving,
                       throttles.max_backfilling_pgs)
    if batch.stuck:
        refuse(what, f"no OSD with weight in a failure domain these PGs lack can take their "
                     f"copies on {host}: {', '.join(batch.stuck[:10])}")
    _record_and_send(self, what, ceph, reference, batch.pins)
    self.progress(**report, status=f"moving {len(batch.pins)} PG(s)", batch=len(batch.pins))
    self.again(reference=reference, countdown=LOOK_INTERVAL, timeout=timeout,
               waiting_for=what, last_seen=f"{left} PG(s) left")


def _before_a_batch(task: MaintenanceTask, what: str, ceph: Ceph, reference: str,
                    pgs: PgDump, pool_list: tuple[Pool, ...], hosts: list[str],
                    draining: set[int], report: dict[str, Any], timeout: float) -> None:
    """Return when the next batch may start; else say why and run again later.

    The batch under way ends when its PGs are active+clean again; the next one waits for
    the windows and holds as a weight step does (a PG split, full OSDs, client impact).
    """
    ctx = task.context
    cluster = str(report["cluster"])
    throttles = ctx.cluster(cluster).throttles
    busy = [pg.pgid for pg in pgs.pg_stats if not settled(pg)]
    if busy:
        task.progress(**report, status=f"{len(busy)} PG(s) moving or peering")
        task.again(reference=reference, countdown=LOOK_INTERVAL, timeout=timeout,
                   waiting_for=what, last_seen=f"{len(busy)} PG(s) moving")
    task.wait_for_window(cluster=cluster, reference=reference, hosts=hosts)
    resizing = resizing_pools(pool_list)
    if resizing:
        hold(task, Hold.PG_CHANGE, f"PG split or merge under way: {'; '.join(resizing)}", {},
             what, reference, throttles, timeout)
    with step(f"{what}: ceph status"):
        status = ceph.status()
    hold_while_full(task, what, reference, ceph, set(status.health.checks), {}, draining,
                    throttles, timeout)
    impact = client_impact(ctx, cluster, ceph, status.health, what)
    if impact is not None:
        hold(task, Hold.CLIENT_IMPACT, impact, {}, what, reference, throttles, timeout)


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.RELEASE_PINS)  # type: ignore[untyped-decorator]
def release_pins(self: MaintenanceTask, cluster: str, reference: str, host: str,
                 timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Put back the upmap items this maintenance set, a batch at a time: each PG's data
    goes once, straight to where CRUSH puts it (host: the one whose window applies)."""
    what = f"cluster {cluster}: release the PGs pinned for {host}, a batch at a time"
    ctx = self.context
    with step(f"{what}: ceph pg dump pgs_brief, osd dump, pools"):
        ceph = ctx.ceph(cluster)
        pgs, dump, pool_list = ceph.pg_dump_brief(), ceph.osd_dump(), ceph.pool_ls_detail()
        recorded = recorded_items(ctx.ledger.entries(reference))
    moved = self.note_data_moved(reference, ceph)
    pending = releases(pgs, dump.upmaps, recorded, len(recorded))
    report: dict[str, Any] = {"cluster": cluster, "pins_left": len(pending),
                              "moved": moved.to_json()}
    if not pending:
        if all(settled(pg) for pg in pgs.pg_stats):
            return {**report, "done": True}
        self.again(reference=reference, countdown=LOOK_INTERVAL, timeout=timeout,
                   waiting_for=what, last_seen="the last PGs moving")
    _before_a_batch(self, what, ceph, reference, pgs, pool_list, [host], set(), report,
                    timeout)
    batch = pending[:ctx.cluster(cluster).throttles.max_backfilling_pgs]
    self.send(what, ceph, [pin.change() for pin in batch])
    self.progress(**report, status=f"releasing {len(batch)} PG(s)", batch=len(batch))
    self.again(reference=reference, countdown=LOOK_INTERVAL, timeout=timeout,
               waiting_for=what, last_seen=f"{len(pending)} pin(s) left")


def _record_and_send(task: MaintenanceTask, what: str, ceph: Ceph, reference: str,
                     pins: tuple[Pin, ...] | list[Pin]) -> None:
    """Each PG's items before our first change recorded once, then the new items sent."""
    with step(what):
        for pin in pins:
            task.context.ledger.remember(reference, ledger_key(pin.pgid),
                                         [list(pair) for pair in pin.before])
    task.send(what, ceph, [pin.change() for pin in pins])


def _lift_norebalance(task: MaintenanceTask, what: str, ceph: Ceph, reference: str,
                      dump: OsdDump) -> bool:
    """Unset norebalance if this maintenance set it; an operator's stays."""
    before = task.context.ledger.recall(reference, NOREBALANCE.ledger_key)
    set_before = before if isinstance(before, bool) else None
    if not to_restore(set_before, NOREBALANCE.is_set(dump)):
        return False
    task.send(what, ceph, flag_changes([NOREBALANCE], "unset"))
    return True
