"""Reweight: move the CRUSH weight of a host's OSDs (or listed OSDs) to a target, gently.

A repeating task: each run reads the live weights, takes at most one step, and runs again
after the inventory's step interval until every OSD is at its target. Steps wait while too
many PGs move data (see ceph_tasks.decisions.reweight_plan), hold while OSDs are (near)
full (ceph_tasks.decisions.fullness_hold, failing once held past the inventory's limit) and
while clients feel the cluster (slow ops, OSD latency, a Prometheus query:
ceph_tasks.decisions.client_impact). The weights before the first change are recorded once
per maintenance reference, so
`target="original"` puts them back.
"""

from __future__ import annotations

import math
from typing import Any

from celery import shared_task

from ceph_tasks.ceph.models import OsdTree
from ceph_tasks.decisions.change import Change
from ceph_tasks.decisions.movers import resizing_pools
from ceph_tasks.decisions.osd_ids import LEDGER_PREFIX, reserved_ids
from ceph_tasks.decisions.reweight_plan import (
    Action,
    ReweightError,
    decide,
    host_osds,
    ledger_key,
    listed_osds,
    restorable,
    size_weights,
    target_weights,
)
from ceph_tasks.decisions.weights import same_weight
from ceph_tasks.names import DEVICE_SIZE, INVENTORY_STEP, ORIGINAL_WEIGHT, Hold, TaskName
from ceph_tasks.tasks import base
from ceph_tasks.tasks.base import MaintenanceTask, refuse
from ceph_tasks.tasks.holds import client_impact, hold, hold_while_full, named
from inventory import Cluster

#: A drain of a large host in small steps can take days; a workflow sets its own deadline.
DEFAULT_TIMEOUT = 3 * 24 * 3600.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.REWEIGHT)  # type: ignore[untyped-decorator]
def reweight(self: MaintenanceTask, cluster: str, reference: str, host: str | None = None,
             osd_ids: list[int] | None = None, *, target: float | str,
             step: float | str | None = None,
             timeout: float = DEFAULT_TIMEOUT, rollback: bool = False) -> dict[str, Any]:
    """Set the CRUSH weight of a host's OSDs or of listed OSDs to target, maybe in steps.

    step None changes every weight at once; a number moves each OSD at most that much
    per step; "inventory" uses the cluster's throttles.crush_weight_step. target is a weight
    or "original" (the weights recorded when this maintenance first changed them), or
    "device size" (each OSD's device size in TiB, from the inventory).
    rollback (with osd_ids and "original"): the listed OSDs that are gone, down or were
    never changed are left out, not refused: what a failed maintenance can still undo.
    """
    scope = f"host {host}" if host is not None else f"OSDs {sorted(osd_ids or [])}"
    what = f"cluster {cluster}: reweight {scope} to {target}"
    ctx = self.context
    with base.step(what):
        inventory = ctx.cluster(cluster)
        ceph = ctx.ceph(cluster)
        tree = ceph.osd_tree()
        created = reserved_ids(ctx.ledger.entries(reference))
    skipped: dict[int, str] = {}
    if rollback and osd_ids is not None and target == ORIGINAL_WEIGHT:
        with base.step(what):
            recorded = {o: ctx.ledger.recall(reference, ledger_key(o)) for o in osd_ids}
        placed = frozenset(o for o in tree.crush_weights() if tree.host_of(o) is not None)
        osd_ids, skipped = restorable(osd_ids, placed, tree.down_osds(), recorded)
        if not osd_ids:
            return {"cluster": cluster, "done": True, "changed": {},
                    "skipped": {f"osd.{o}": why for o, why in skipped.items()}}
    osds = _osds(what, inventory, tree, host, osd_ids, created)
    size = _step_size(what, inventory, step)
    wanted = None if target in (ORIGINAL_WEIGHT, DEVICE_SIZE) else _number(what, "target",
                                                                            target)
    current = tree.crush_weights(osds)
    with base.step(what):
        if target == ORIGINAL_WEIGHT:
            originals = {osd: ctx.ledger.recall(reference, ledger_key(osd)) for osd in osds}
        else:
            # Recorded before anything changes, once: later runs read the first value back.
            originals = {osd: ctx.ledger.remember(reference, ledger_key(osd), current[osd])
                         for osd in sorted(osds)}
    try:
        goal = (_size_weights(inventory, osds, created) if target == DEVICE_SIZE
                else target_weights(osds, wanted, originals))
    except ReweightError as e:
        refuse(what, str(e))
    with base.step(f"{what}: ceph status"):
        status = ceph.status()
    moving = status.pgmap.moving
    moved = self.note_data_moved(reference, ceph)
    throttles = inventory.throttles
    if not all(same_weight(current[osd], weight) for osd, weight in goal.items()):
        draining = {osd for osd, weight in goal.items() if weight < current[osd]}
        hold_while_full(self, what, reference, ceph, set(status.health.checks), current,
                         draining, throttles, timeout)
    decision = decide(current, goal, size, moving, throttles.max_backfilling_pgs)
    impact = None
    if decision.changes:
        # Each weight step starts only inside the windows: a step under way when a window
        # closes has already been made, and the next one waits here.
        hosts = sorted({h for o in osds if (h := tree.host_of(o)) is not None})
        self.wait_for_window(cluster=cluster, reference=reference, hosts=hosts)
        with base.step(f"{what}: ceph osd pool ls detail"):
            resizing = resizing_pools(ceph.pool_ls_detail())
        if resizing:
            # A split moves data too: one movement at a time, the weights keep still.
            hold(self, Hold.PG_CHANGE, f"PG split or merge under way: {'; '.join(resizing)}",
                  current,
                  what, reference, throttles, timeout)
        impact = client_impact(ctx, cluster, ceph, status.health, what)
        if impact is not None:
            # Clients already wait on the cluster: no more data moves until they stop.
            hold(self, Hold.CLIENT_IMPACT, impact, current, what, reference, throttles,
                  timeout)
    elif decision.action is Action.WAIT:
        # The backfill cap holds already; say whether clients would hold the step too.
        impact = client_impact(ctx, cluster, ceph, status.health, what)
    self.send(what, ceph, [Change("osd crush reweight", {"name": f"osd.{o}", "weight": w},
                                  f"osd crush reweight osd.{o} {w:g}")
                           for o, w in sorted(decision.changes.items())])
    after = {**current, **decision.changes}
    report = {
        "cluster": cluster,
        "host": host,
        "weights": named(after),
        "target": named(goal),
        "original": named({o: w for o, w in originals.items() if w is not None}),
        "changed": named(decision.changes),
        "steps_left": max(decision.steps_left - (decision.action is Action.STEP), 0),
        "moving_pgs": moving,
        "max_moving_pgs": throttles.max_backfilling_pgs,
        "moved": moved.to_json(),
        "reason": decision.reason,
        **({"status": f"holding: {impact}; {decision.reason}", "hold": Hold.CLIENT_IMPACT}
           if impact else {}),
        **({"skipped": {f"osd.{o}": why for o, why in skipped.items()}} if skipped else {}),
    }
    if all(same_weight(after[osd], weight) for osd, weight in goal.items()):
        return {**report, "done": True}
    self.progress(**report)
    self.again(reference=reference, countdown=throttles.step_interval_seconds, timeout=timeout,
               waiting_for=what,
               last_seen=f"weights {named(after)}; {report.get('status', decision.reason)}")


def _osds(what: str, inventory: Cluster, tree: OsdTree, host: str | None,
          osd_ids: list[int] | None, created: dict[str, int]) -> frozenset[int]:
    if (host is None) == (osd_ids is None):
        refuse(what, "give either a host or a list of OSD ids")
    try:
        if host is not None:
            with base.step(what):
                planned = frozenset(o.id for o in inventory.osds_on(host))
            # OSDs this maintenance created on the host (add_node) are not in the
            # inventory yet, but they are the very ones a new host's weight raise is for.
            mine = frozenset(i for key, i in created.items()
                             if key.startswith(f"{LEDGER_PREFIX}:{host}:"))
            planned |= mine
            return host_osds(host, tree.hosts(), planned)
        placed = frozenset(o for o in tree.crush_weights() if tree.host_of(o) is not None)
        return listed_osds(list(osd_ids or []), placed)
    except ReweightError as e:
        refuse(what, str(e))


def _size_weights(inventory: Cluster, osds: frozenset[int],
                  created: dict[str, int]) -> dict[int, float]:
    """Each OSD's weight from the size of its device: the one this maintenance created it
    on, else the inventory's."""
    where = {o.id: f"{o.host}:{o.device}" for o in inventory.osds if o.device}
    # Ledger keys are "new-osd:HOST:DEVICE"; host names hold no colon, device paths may.
    where |= {osd: key.removeprefix(f"{LEDGER_PREFIX}:") for key, osd in created.items()}
    sizes = {f"{h.name}:{d.path}": d.size_bytes for h in inventory.hosts for d in h.devices}
    return size_weights({o: where.get(o, "no device known") for o in osds}, sizes)


def _step_size(what: str, inventory: Cluster, step: float | str | None) -> float | None:
    if step is None:
        return None
    if step == INVENTORY_STEP:
        return inventory.throttles.crush_weight_step
    size = _number(what, "step", step)
    if size <= 0:
        refuse(what, f"a weight step must be a positive number, got {step!r}")
    return size


def _number(what: str, name: str, value: object) -> float:
    # JSON brings numbers as int or float; anything else (a typo'd keyword) is refused.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        refuse(what, f"{name} must be a finite number, got {value!r}")
    return float(value)
