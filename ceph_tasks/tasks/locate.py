"""A drive's identify LED, lit for the technicians who swap it and turned off after.

`ceph device light` needs cephadm or Rook; on package-based clusters the inventory's
failures.locate_on / locate_off commands run over SSH, without a shell (ledctl, say).
Each LED lit is recorded in the ledger first: turning it off here, or the one restore path
after a failure or a cancel, puts it out.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.restoration import locate_key
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step
from inventory import render_command

#: Seconds a locate command may take (it writes an enclosure's SES page).
LOCATE_TIMEOUT = 60.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.LOCATE_DEVICES)  # type: ignore[untyped-decorator]
def locate_devices(self: MaintenanceTask, cluster: str, reference: str, host: str,
                   devices: list[str], on: bool) -> dict[str, Any]:
    """Light (on) or put out the identify LEDs of devices of host, recorded first."""
    what = f"cluster {cluster}: {'light' if on else 'put out'} the locate LED of " \
           f"{', '.join(devices)} on host {host}"
    with step(what):
        policy = self.context.cluster(cluster).failures
        for device in devices:
            self.context.host(cluster, host).device(device)  # known, or refused as unknown
    template = policy.locate_on if on else policy.locate_off
    if template is None:
        refuse(what, "the inventory's failures has no locate_on / locate_off command")
    done = [turn_locate(self, cluster, reference, host, d, template, on=on) for d in devices]
    return {"cluster": cluster, "host": host, "on": on, "devices": done}


def turn_locate(task: MaintenanceTask, cluster: str, reference: str, host: str, device: str,
                template: tuple[str, ...], *, on: bool) -> str:
    """Run one locate command on a device: recorded before lit, forgotten once out."""
    ctx = task.context
    key = locate_key(host, device)
    task.fence(f"cluster {cluster}: locate LED of {device} on {host}")
    with step(f"cluster {cluster}: locate LED of {device} on host {host}"):
        if on:
            ctx.ledger.remember(reference, key, {"at": ctx.now().isoformat()})
        ctx.executor.run(ctx.host(cluster, host), render_command(template, device=device),
                         timeout=LOCATE_TIMEOUT)
        if not on:
            ctx.ledger.forget(reference, key)
    return device
