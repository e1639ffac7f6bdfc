"""Hand over a leaving host's monitor, manager and MDS daemons before the host goes.

The active manager and any MDS holding a rank fail over to standbys elsewhere; the host's
monitor is removed from the monmap once Ceph agrees (`mon ok-to-rm`). Refused, changing
nothing, when what stays could not carry on (ceph_tasks.decisions.host_daemons). Each
change is recorded before it is sent. A repeating task: it runs again until no daemon of
the host is active and its monitor has left the monmap.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from ceph_tasks.decisions.host_daemons import (
    daemons_on,
    handover_changes,
    handover_problems,
    ledger_key,
)
from ceph_tasks.errors import CephCommandError, CephError, TaskFailed
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step

log = logging.getLogger(__name__)

#: A failover takes seconds; a monitor leaves the quorum at once.
DEFAULT_TIMEOUT = 600.0
DEFAULT_INTERVAL = 2.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.HAND_OVER_DAEMONS)  # type: ignore[untyped-decorator]
def hand_over_daemons(self: MaintenanceTask, cluster: str, reference: str, host: str,
                      timeout: float = DEFAULT_TIMEOUT,
                      interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Fail over the host's active manager and MDS, remove its monitor; wait until done."""
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
    left = [d.describe() for d in daemons_on(daemons, [host], hosts)]
    return {"cluster": cluster, "host": host, "left_on_host": left,
            "summary": f"no monitor or active daemon left on {host}"
                       + (f" (standbys there: {', '.join(left)})" if left else "")}
