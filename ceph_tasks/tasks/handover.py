"""Hand a host's monitor, manager and MDS daemons over to other hosts.

add_daemons brings up on a host (a replacement's new hardware) the kinds of daemon it
is given, through the host's daemon control, and waits until its monitor is in quorum
and its manager and MDS stand by. hand_over_daemons, before a host goes: the active
manager and any MDS holding a rank fail over to standbys elsewhere, the host's monitor is
removed from the monmap once Ceph agrees (`mon ok-to-rm`), then what is left of them on
the host is stopped for good. Each refuses, changing nothing, when what stays could not
carry on (ceph_tasks.decisions.host_daemons); each change is recorded before it is made.
Both repeat until done.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from celery import shared_task

from ceph_tasks.ceph.models.service_daemons import Daemon, DaemonKind
from ceph_tasks.decisions.host_daemons import (
    ADDED_PREFIX,
    LEDGER_PREFIX,
    RETIRED_PREFIX,
    arrived,
    daemon_id,
    daemons_on,
    handover_changes,
    handover_problems,
    ledger_key,
)
from ceph_tasks.errors import CephCommandError, CephError, TaskFailed
from ceph_tasks.names import TaskName
from ceph_tasks.remote.services import ServiceAction, service_commands
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step
from inventory import CommandTemplateError

log = logging.getLogger(__name__)

#: A failover takes seconds; a monitor leaves the quorum at once.
DEFAULT_TIMEOUT = 600.0
DEFAULT_INTERVAL = 2.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.HAND_OVER_DAEMONS)  # type: ignore[untyped-decorator]
def hand_over_daemons(self: MaintenanceTask, cluster: str, reference: str, host: str,
                      timeout: float = DEFAULT_TIMEOUT,
                      interval: float = DEFAULT_INTERVAL, stop_left: bool = True
                      ) -> dict[str, Any]:
    """Fail over the host's active manager and MDS, remove its monitor; wait until done.

    stop_left: then stop what is left of them on the host (standbys, the removed monitor).
    """
    what = f"cluster {cluster}: hand over the monitor, manager and MDS daemons of {host}"
    ctx = self.context
    with step(f"{what}: ceph quorum_status, mgr dump, fs dump, mon|mgr|mds metadata"):
        inventory = ctx.cluster(cluster)
        hosts = [h.name for h in inventory.hosts]
        ceph = ctx.ceph(cluster)
        daemons = ceph.daemons()
    changes = handover_changes(daemons, [host], hosts)
    if changes:
        problems = handover_problems(daemons, [host], hosts, inventory.min_monitors)
        for daemon, change in changes:
            if change.prefix != "mon rm":
                continue
            try:
                ceph.client.mon_command("mon ok-to-rm", id=daemon.name)
            except CephCommandError as e:
                problems.append(f"ceph says {daemon.entity} may not be removed: {e}")
            except CephError as e:
                raise TaskFailed(f"{what}: ceph mon ok-to-rm {daemon.name}: {e}") from e
        if problems:
            refuse(what, "; ".join(problems))
        with step(what):
            for daemon, change in changes:
                ctx.ledger.remember(reference, ledger_key(daemon),
                                    {"change": change.says, "at": ctx.now().isoformat()})
        self.fence(what)
        for _, change in changes:
            try:
                ceph.client.mon_command(change.prefix, **change.args)
            except CephError as e:
                if change.prefix != "mon rm":
                    raise TaskFailed(f"{what}: ceph {change.says}: {e}") from e
                # The monitor removed may be the one that was to answer: the next look
                # at the monmap tells whether it left.
                log.info("%s: ceph %s: %s", what, change.says, e)
        seen = ", ".join(change.says for _, change in changes)
        self.progress(status=f"handing over: {seen}")
        self.again(reference=reference, countdown=interval, timeout=timeout,
                   waiting_for=f"{what}: standbys active and the monitor gone",
                   last_seen=f"sent {seen}")
    with step(f"{what}: ceph pg stat"):
        stat = ceph.pg_stat()
    unknown = stat.count_in("unknown")
    if not stat.pg_ready or unknown or not any(m.active for m in daemons.of(DaemonKind.MGR)):
        # A manager that just took over starts with every PG unknown until the OSDs report
        # to it: Ceph cannot call an OSD safe to destroy meanwhile, so the host waits.
        self.again(reference=reference, countdown=interval, timeout=timeout,
                   waiting_for=f"{what}: an active manager that knows every PG",
                   last_seen=f"{unknown} PG(s) unknown" if unknown else "no manager ready")
    left = daemons_on(daemons, [host], hosts)
    stopped = _stop_left(self, cluster, reference, host, left) if stop_left else []
    return {"cluster": cluster, "host": host, "stopped": stopped,
            "summary": f"no monitor or active daemon left on {host}"
                       + (f" (stopped there: {', '.join(stopped)})" if stopped else "")}


def _stop_left(task: MaintenanceTask, cluster: str, reference: str, host: str,
               left: Sequence[Daemon]) -> list[str]:
    """Stop the host's standbys and removed monitor for good, each recorded first."""
    what = f"cluster {cluster}: stop the daemons left on {host}"
    ctx = task.context
    with step(what):
        entries = ctx.ledger.entries(reference)
        control = ctx.daemons(cluster, host)
    handed = {k.split(":", 1)[1] for k in entries if k.startswith(f"{LEDGER_PREFIX}:")}
    entities = sorted(handed | {d.entity for d in left})
    for entity in entities:
        key = f"{RETIRED_PREFIX}:{entity}"
        if _done(entries.get(key)):
            continue  # stopped by an earlier run
        kind, name = entity.split(".", 1)
        task.fence(what)
        with step(what):
            # Recorded before the stop, marked stopped after it: a run killed in between
            # stops it again (harmless), never leaves it running.
            record = ctx.ledger.remember(reference, key, _pending(host, ctx.now()))
        with step(f"{what}: remove {entity}"):
            control.remove_daemon(kind, name)
        with step(what):
            ctx.ledger.note(reference, key, _finished(record))
    return entities


def _pending(host: str, now: datetime) -> dict[str, Any]:
    """A daemon's record, written before its action: not done yet."""
    return {"host": host, "at": now.isoformat(), "done": False}


def _finished(record: Any) -> dict[str, Any]:
    """The record once its action is done."""
    return {**(record if isinstance(record, dict) else {}), "done": True}


def _done(record: Any) -> bool:
    """Whether a daemon's action was done (a record from before "done" was kept counts as
    done, as it did then)."""
    return isinstance(record, dict) and bool(record.get("done", True))


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.ADD_DAEMONS)  # type: ignore[untyped-decorator]
def add_daemons(self: MaintenanceTask, cluster: str, reference: str, host: str,
                kinds: list[str], fs: str = "", timeout: float = DEFAULT_TIMEOUT,
                interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Bring up the kinds of daemon on host (each recorded first); wait until they run.

    A monitor is added only while every monitor is in quorum: with one already out, a
    newcomer that failed to join would leave too few of the larger monmap to form one.
    """
    what = f"cluster {cluster}: bring up {', '.join(kinds)} on {host}"
    ctx = self.context
    with step(f"{what}: ceph quorum_status, mgr dump, fs dump, mon|mgr|mds metadata"):
        hosts = [h.name for h in ctx.cluster(cluster).hosts]
        ctx.host(cluster, host)
        daemons = ctx.ceph(cluster).daemons()
        entries = ctx.ledger.entries(reference)
    wanted = [DaemonKind(k) for k in kinds]
    name = daemon_id(host)
    # One this maintenance stopped (new hardware in the same place) may still be listed
    # until its beacons time out: it is brought up anew all the same.
    stopped = [k for k in wanted if f"{RETIRED_PREFIX}:{k}.{name}" in entries]
    missing = [k for k in wanted if not arrived(daemons, k, host, hosts)
               or (k in stopped and not _done(entries.get(f"{ADDED_PREFIX}:{k}.{name}")))]
    if not missing:
        return {"cluster": cluster, "host": host, "running": [f"{k}.{name}" for k in wanted]}
    # Recorded first and marked started after: one recorded but never marked was cut off
    # by a killed run, maybe half made, and is sent again (a monitor's store made by the
    # earlier run fails `ceph-mon --mkfs` on a systemd host, naming it).
    to_send = [k for k in missing if not _done(entries.get(f"{ADDED_PREFIX}:{k}.{name}"))]
    out = [m.name for m in daemons.of(DaemonKind.MON) if not m.active]
    if DaemonKind.MON in to_send and out:
        refuse(what, f"monitor(s) {', '.join(out)} out of quorum: a new one is added only "
                     "while every monitor is in it")
    control = ctx.daemons(cluster, host)
    try:
        for kind in to_send:
            service_commands(control.host.daemon_control, ServiceAction.ADD, host, kind, name,
                             fs)
    except (CommandTemplateError, ValueError) as e:
        refuse(what, f"the daemon control of {host} cannot do it: {e}")
    for kind in to_send:
        self.fence(what)
        key = f"{ADDED_PREFIX}:{kind}.{name}"
        with step(what):
            record = ctx.ledger.remember(reference, key, _pending(host, ctx.now()))
        with step(f"{what}: add {kind}.{name}"):
            control.add_daemon(kind, name, fs)
        with step(what):
            ctx.ledger.note(reference, key, _finished(record))
    waiting = [f"{k}.{name}" for k in missing]
    self.progress(status=f"waiting for {', '.join(waiting)}")
    self.again(reference=reference, countdown=interval, timeout=timeout,
               waiting_for=f"{what}: the monitor in quorum, the manager and MDS up",
               last_seen=f"not yet: {', '.join(waiting)}")
