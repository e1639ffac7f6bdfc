"""Work on a host without moving its data: stop its OSDs, run the work, wait until it is back.

stop_host_daemons records each OSD daemon in the ledger before stopping it (the restore
task starts them again: the same path after the work, a failure or a cancel), and what the
host holds, so that the end can say how little was recovered. run_on_host runs the
inventory's reboot command (and waits for a new boot id over SSH) or a given command.
wait_host_back repeats until the host's OSDs are up and in and every PG is active+clean.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from celery import shared_task

from ceph_tasks.decisions.host_back import (
    EXTENSIONS_KEY,
    baseline,
    command_key,
    held_key,
    not_back,
    overdue_key,
    recovery_since,
    time_down,
)
from ceph_tasks.decisions.restoration import daemon_key
from ceph_tasks.errors import (
    CommandFailed,
    NotificationError,
    RemoteCommandError,
    SshConnectError,
)
from ceph_tasks.names import TaskName
from ceph_tasks.notify import TechnicianMessage
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step

log = logging.getLogger(__name__)

#: Seconds between two looks at a host that is stopping, rebooting or coming back.
DEFAULT_INTERVAL = 5.0
#: A monitor marks a stopped OSD down within seconds; this is the limit of that wait.
STOP_TIMEOUT = 600.0
#: How long a host's work may hold, past max_down, for the operators' decision.
DEFAULT_TIMEOUT = 7 * 24 * 3600.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.STOP_HOST_DAEMONS)  # type: ignore[untyped-decorator]
def stop_host_daemons(self: MaintenanceTask, cluster: str, reference: str, host: str,
                      interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Stop the host's OSD daemons (each recorded first) and wait until Ceph sees them down."""
    what = f"cluster {cluster}: stop the OSD daemons of host {host}"
    ctx = self.context
    with step(f"{what}: ceph osd tree"):
        ctx.host(cluster, host)
        ceph = ctx.ceph(cluster)
        tree = ceph.osd_tree()
    osds = sorted(tree.hosts().get(host, frozenset()))
    if not osds:
        refuse(what, f"no OSD sits under the host bucket {host} in the CRUSH tree")
    with step(what):
        entries = ctx.ledger.entries(reference)
    ours = [o for o in osds if daemon_key(host, o) in entries]
    down = set(tree.down_osds())
    if not ours:
        if down.intersection(osds):
            refuse(what, f"{', '.join(f'osd.{o}' for o in sorted(down.intersection(osds)))} "
                         "already down before the maintenance: it would not start them again")
        with step(f"{what}: ceph pg dump pgs"):
            # Recorded once, before the first stop: a re-run reads the first answer back.
            ctx.ledger.remember(reference, held_key(host),
                                baseline(ceph.pg_objects(), osds, ctx.now()))
    daemons = ctx.daemons(cluster, host)
    to_stop = [o for o in osds if o not in down]
    if to_stop:
        self.fence(what)
    for osd in to_stop:
        with step(what):
            ctx.ledger.remember(reference, daemon_key(host, osd), True)
        with step(f"{what}: stop osd.{osd}"):
            daemons.stop_osd(osd)  # stopping a stopped daemon is harmless
    with step(f"{what}: ceph osd tree"):
        still_up = [o for o in osds if o not in ceph.osd_tree().down_osds()]
    if still_up:
        self.progress(status="waiting for the monitors to see the stopped OSDs down",
                      still_up=still_up)
        self.again(reference=reference, countdown=interval, timeout=STOP_TIMEOUT,
                   waiting_for=f"{what}: the monitors to see them down",
                   last_seen=f"still up: {', '.join(f'osd.{o}' for o in still_up)}")
    return {"cluster": cluster, "host": host, "stopped": [f"osd.{o}" for o in osds]}


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.RUN_ON_HOST)  # type: ignore[untyped-decorator]
def run_on_host(self: MaintenanceTask, cluster: str, reference: str, host: str,
                command: list[str] | None = None, reboot: bool = False,
                timeout: float = DEFAULT_TIMEOUT,
                interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Reboot the host (the inventory's command; done once its boot id changes) or run argv."""
    what = f"cluster {cluster}, host {host}: " + ("reboot" if reboot else f"run {command}")
    if reboot == (command is not None) or (command is not None and not command):
        refuse(what, "give either reboot or a command (a non-empty list of argv words)")
    ctx = self.context
    with step(what):
        inventory_host = ctx.host(cluster, host)
        key = command_key(host, str(self.request.id))
        done = ctx.ledger.recall(reference, key)
    if command is not None:
        if isinstance(done, dict):
            return done  # ran already: a re-delivered message does not run it twice
        self.fence(what)
        with step(what):
            result = ctx.executor.run(inventory_host, command)
            report = {"cluster": cluster, "host": host, "command": command,
                      "output": result.stdout[-2000:]}
            ctx.ledger.note(reference, key, report)
        return report
    boot = list(inventory_host.boot_id_command)
    if not isinstance(done, dict):
        with step(f"{what}: read the boot id"):
            before = ctx.executor.run(inventory_host, boot).stdout.strip()
            done = ctx.ledger.remember(reference, key, {"boot_id": before})
    if not done.get("sent"):
        # A run lost between the record and the send sends it again: a second reboot of
        # a host in maintenance costs minutes, a reboot never sent would hold forever.
        self.fence(what)
        try:
            ctx.executor.run(inventory_host, list(inventory_host.reboot_command))
        except (SshConnectError, RemoteCommandError) as e:
            # The connection may drop as the host goes down: the new boot id tells.
            log.info("%s: the reboot command ended with %s", what, e)
        with step(what):
            done = {**done, "sent": ctx.now().isoformat()}
            ctx.ledger.note(reference, key, done)
    try:
        now = ctx.executor.run(inventory_host, boot).stdout.strip()
    except (SshConnectError, CommandFailed, RemoteCommandError) as e:
        now, seen = None, f"not reachable yet: {e}"
    else:
        seen = f"boot id still {now}: not rebooted yet"
    if now is None or now == done.get("boot_id"):
        _still_down(self, cluster, reference, host, seen, timeout=timeout, interval=interval,
                    waiting_for=f"{what}: the host back over SSH with a new boot id")
    return {"cluster": cluster, "host": host, "rebooted": True, "boot_id": now}


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.WAIT_HOST_BACK)  # type: ignore[untyped-decorator]
def wait_host_back(self: MaintenanceTask, cluster: str, reference: str, host: str,
                   timeout: float = DEFAULT_TIMEOUT,
                   interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Wait until the host's OSDs are up and in and every PG is active+clean; report recovery."""
    what = f"cluster {cluster}: wait for host {host}'s OSDs up and in, all PGs active+clean"
    ctx = self.context
    with step(f"{what}: ceph osd tree, status"):
        ceph = ctx.ceph(cluster)
        tree = ceph.osd_tree()
        osds = sorted(tree.hosts().get(host, frozenset()))
        lacking = not_back(tree, osds)
        pgmap = ceph.status().pgmap
    if lacking:
        _still_down(self, cluster, reference, host, "; ".join(lacking), timeout=timeout,
                    interval=interval, waiting_for=what)
    if not pgmap.all_active_clean:
        seen = f"{pgmap.active_clean} of {pgmap.num_pgs} PGs active+clean"
        self.progress(status=f"waiting for {host}: {seen}")
        self.again(reference=reference, countdown=interval, timeout=timeout,
                   waiting_for=what, last_seen=seen)
    with step(f"{what}: ceph pg dump pgs"):
        recorded = ctx.ledger.recall(reference, held_key(host))
        recovery = recovery_since(recorded if isinstance(recorded, dict) else {},
                                  ceph.pg_objects())
    return {"cluster": cluster, "host": host, "osds": [f"osd.{o}" for o in osds],
            "objects_recovered": recovery.recovered, "object_copies_held": recovery.held,
            "summary": recovery.describe()}


def _still_down(task: MaintenanceTask, cluster: str, reference: str, host: str, seen: str,
                *, timeout: float, interval: float, waiting_for: str) -> NoReturn:
    """Look again later; past max_down, tell the operators once and hold for their choice.

    The host's OSDs stay in under its noout whatever the time: lifting it on a timer
    would mark them out and move their data while the host may be back in a minute.
    """
    ctx = task.context
    with step(waiting_for):
        recorded = ctx.ledger.recall(reference, held_key(host))
        extensions = ctx.ledger.recall(reference, EXTENSIONS_KEY)
        down = time_down(recorded if isinstance(recorded, dict) else {}, ctx.now(),
                         ctx.cluster(cluster).max_down_seconds,
                         extensions if isinstance(extensions, list) else [])
    status = f"waiting for {host} ({down.down_for:.0f} s down of {down.allowed:g} s): {seen}"
    if down.overdue:
        choice = (f"`cephmaint extend {reference} --minutes N --reason TEXT` waits longer; "
                  f"`cephmaint cancel {reference}` starts its daemons when it answers")
        status = (f"held: {host} down {down.down_for:.0f} s, past the {down.allowed:g} s it "
                  f"may be (max_down_seconds and extensions): {seen}; {choice}")
        _tell_overdue(task, cluster, reference, host, down.allowed, status)
    task.progress(status=status)
    task.again(reference=reference, countdown=interval, timeout=timeout,
               waiting_for=waiting_for, last_seen=seen)


def _tell_overdue(task: MaintenanceTask, cluster: str, reference: str, host: str,
                  allowed: float, status: str) -> None:
    """Tell every channel of the cluster once per allowed time; a failure is tried again."""
    ctx = task.context
    key = overdue_key(host, allowed)
    with step(f"cluster {cluster}: tell the operators {host} is down too long"):
        if ctx.ledger.recall(reference, key) is not None:
            return
        message = TechnicianMessage(subject=f"[{reference}] {host} still down, held",
                                    body=status, reference=reference, cluster=cluster,
                                    host=host)
        try:
            for notifier in ctx.notifiers(cluster):
                notifier.notify(message)
        except NotificationError as e:
            log.warning("%s: the operators could not be told yet: %s", reference, e)
            return  # the next look tries again
        ctx.ledger.remember(reference, key, ctx.now().isoformat())
