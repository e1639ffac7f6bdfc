"""The one restore path: put back everything a maintenance recorded in the ledger.

OSD daemons a host's work stopped, flags, the balancer and the autoscaler, per-OSD
recovery settings, monitoring downtimes: read from the ledger, compared with the cluster
now, put back where they are still as the maintenance left them, and the records dropped
once done (see ceph_tasks.decisions.restoration). The end of every plan, its finalisers
after a failure or a cancel, and a retry all run this task; the drained OSDs' weights come
back through the reweight task (rollback), under the same throttle as a drain.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.change import Change
from ceph_tasks.decisions.restoration import (
    Kind,
    ceph_restores,
    daemon_key,
    downtime_hosts,
    kinds_of,
    lit_locates,
    recorded,
    recovery_restores,
    stopped_daemons,
)
from ceph_tasks.errors import CephTaskError, TaskFailed
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step
from ceph_tasks.tasks.downtime import lift_downtime
from ceph_tasks.tasks.locate import turn_locate
from ceph_tasks.tasks.pause import movers_now


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.RESTORE)  # type: ignore[untyped-decorator]
def restore(self: MaintenanceTask, cluster: str, reference: str,
            kinds: list[str] | None = None) -> dict[str, Any]:
    """Put back the recorded changes of these kinds (flags, movers, recovery settings,
    downtimes; None: all)."""
    what = f"cluster {cluster}: restore what {reference} changed"
    ctx = self.context
    try:
        wanted = kinds_of(kinds)
    except ValueError as e:
        refuse(what, str(e))
    with step(what):
        entries = recorded(ctx.ledger.entries(reference), wanted)
    # First, so that a host's noout is lifted only once its OSDs run again: a daemon that
    # cannot be started (the host still down) fails the restore here, flags untouched.
    started = _start_daemons(self, what, cluster, reference, entries)
    ceph_entries = recorded(entries, [k for k in wanted if k in (Kind.FLAGS, Kind.MOVERS)])
    changes: list[Change] = []
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
    changes += _recovery_back(self, what, cluster, reference, wanted, entries)
    lifted: dict[str, dict[str, int]] = {}
    failed: list[str] = []
    out = _locates_out(self, cluster, reference, entries, failed)
    for host in downtime_hosts(entries):
        try:
            lifted[host] = lift_downtime(self, cluster, host, reference)
        except TaskFailed as e:
            failed.append(str(e))  # the other hosts' downtimes are still lifted
    if failed:
        raise TaskFailed("; ".join(failed))
    return {"cluster": cluster, "started": started, "changed": [c.says for c in changes],
            "downtimes": lifted, "locates_out": out}


def _recovery_back(task: MaintenanceTask, what: str, cluster: str, reference: str,
                   wanted: tuple[Kind, ...], entries: dict[str, Any]) -> list[Change]:
    """Put back the per-OSD recovery settings still as the maintenance left them."""
    ours = recorded(entries, [Kind.RECOVERY]) if Kind.RECOVERY in wanted else {}
    if not ours:
        return []
    ctx = task.context
    with step(f"{what}: ceph config dump"):
        ceph = ctx.ceph(cluster)
        changes = recovery_restores(ours, ceph.config_dump())
    task.send(what, ceph, changes)
    with step(what):
        for key in ours:
            ctx.ledger.forget(reference, key)
    return changes


def _locates_out(task: MaintenanceTask, cluster: str, reference: str,
                 entries: dict[str, Any], failed: list[str]) -> list[str]:
    """Put out the identify LEDs the maintenance lit (a failure noted, the others go on)."""
    lit = lit_locates(entries)
    if not lit:
        return []
    with step(f"cluster {cluster}: the locate commands"):
        template = task.context.cluster(cluster).failures.locate_off
    out = []
    for host, devices in lit.items():
        for device in devices:
            if template is None:
                failed.append(f"the LED of {device} on {host} was lit and the inventory "
                              "has no locate_off command any more")
                continue
            try:
                out.append(turn_locate(task, cluster, reference, host, device, template,
                                       on=False))
            except CephTaskError as e:
                failed.append(f"the LED of {device} on {host}: {e}")
    return out


def _start_daemons(task: MaintenanceTask, what: str, cluster: str, reference: str,
                   entries: dict[str, Any]) -> list[str]:
    """Start the OSD daemons the maintenance stopped, each record dropped once started."""
    started = []
    ctx = task.context
    for host, osds in stopped_daemons(entries).items():
        task.fence(what)
        with step(what):
            daemons = ctx.daemons(cluster, host)
        for osd in osds:
            with step(f"{what}: start osd.{osd} on host {host}"):
                daemons.start_osd(osd)  # starting a running daemon changes nothing
            with step(what):
                ctx.ledger.forget(reference, daemon_key(host, osd))
            started.append(f"osd.{osd}")
    return started
