"""Cluster flags: set noout, norebalance, nobackfill, noscrub, nodeep-scrub and restore them.

Cluster-wide with `osd set` / `osd unset`, or on host buckets with `osd set-group` /
`osd unset-group` (noout only). Whether each flag was set before is recorded once in the
ledger; restoring unsets only the flags this maintenance set, so an operator's stay.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.ceph import Ceph
from ceph_tasks.ceph.models import OsdDump
from ceph_tasks.decisions.flag_plan import FlagError, FlagTarget, check_flags, targets, to_restore
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.SET_FLAGS)  # type: ignore[untyped-decorator]
def set_flags(self: MaintenanceTask, cluster: str, reference: str, flags: list[str],
              hosts: list[str] | None = None) -> dict[str, Any]:
    """Set flags cluster-wide (hosts None) or on the hosts' CRUSH buckets; skip those set."""
    what = f"cluster {cluster}: set flags {','.join(flags)}{_on(hosts)}"
    ctx = self.context
    wanted = _targets(what, flags, hosts)
    with step(what):
        for host in hosts or ():
            ctx.host(cluster, host)
        ceph = ctx.ceph(cluster)
        dump = ceph.osd_dump()
    done: list[FlagTarget] = []
    already: list[FlagTarget] = []
    for target in wanted:
        set_now = _is_set(dump, target)
        with step(what):
            # Recorded before the change, once: a re-run reads the first answer back.
            ctx.ledger.remember(reference, target.ledger_key, set_now)
        (already if set_now else done).append(target)
    _apply(what, ceph, done, "set")
    return {"cluster": cluster, "set": [t.describe() for t in done],
            "already_set": [t.describe() for t in already]}


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.UNSET_FLAGS)  # type: ignore[untyped-decorator]
def unset_flags(self: MaintenanceTask, cluster: str, reference: str, flags: list[str],
                hosts: list[str] | None = None) -> dict[str, Any]:
    """Restore flags: unset those this maintenance set; leave those that were set before."""
    what = f"cluster {cluster}: restore flags {','.join(flags)}{_on(hosts)}"
    ctx = self.context
    wanted = _targets(what, flags, hosts)
    with step(what):
        ceph = ctx.ceph(cluster)
        dump = ceph.osd_dump()
        before = {t: ctx.ledger.recall(reference, t.ledger_key) for t in wanted}
    undo = [t for t in wanted if to_restore(before[t], _is_set(dump, t))]
    _apply(what, ceph, undo, "unset")
    with step(what):
        for target in wanted:
            # The maintenance no longer owns the flag: a later set_flags records afresh.
            ctx.ledger.forget(reference, target.ledger_key)
    return {"cluster": cluster, "unset": [t.describe() for t in undo],
            "left": [t.describe() for t in wanted if t not in undo]}


def _targets(what: str, flags: list[str], hosts: list[str] | None) -> tuple[FlagTarget, ...]:
    try:
        return targets(check_flags(flags, hosts), hosts)
    except FlagError as e:
        refuse(what, str(e))


def _is_set(dump: OsdDump, target: FlagTarget) -> bool:
    present = dump.flags if target.host is None else dump.host_flags(target.host)
    return target.flag in present


def _apply(what: str, ceph: Ceph, changes: list[FlagTarget], verb: str) -> None:
    cluster_wide = [t.flag for t in changes if t.host is None]
    for flag in cluster_wide:
        with step(f"{what}: ceph osd {verb} {flag}"):
            ceph.client.mon_command(f"osd {verb}", key=flag)
    by_flag: dict[str, list[str]] = {}
    for t in changes:
        if t.host is not None:
            by_flag.setdefault(t.flag, []).append(t.host)
    for flag, hosts in by_flag.items():
        with step(f"{what}: ceph osd {verb}-group {flag} {' '.join(hosts)}"):
            ceph.client.mon_command(f"osd {verb}-group", flags=flag, who=hosts)


def _on(hosts: list[str] | None) -> str:
    return "" if hosts is None else f" on {', '.join(hosts)}"
