"""Zap: wipe the devices of OSDs removed from a host, so that new OSDs can use them.

Each device is recorded in the ledger (with its serial and the OSD it held) before the
inventory's zap command runs on it (`ceph-volume lvm zap --destroy DEVICE` on a systemd
host); a device still backing an OSD in the map is refused, nothing zapped.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.device_wipe import live_users, zap_key
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.ZAP_DEVICES)  # type: ignore[untyped-decorator]
def zap_devices(self: MaintenanceTask, cluster: str, reference: str, host: str,
                osd_ids: list[int]) -> dict[str, Any]:
    """Wipe the inventory devices of these removed OSDs of host, each recorded first."""
    what = f"cluster {cluster}: zap the devices of {_named(osd_ids)} on host {host}"
    ctx = self.context
    with step(what):
        inventory = ctx.cluster(cluster)
        on_host = {o.id: o.device for o in inventory.osds_on(host)}
        devices = {o: on_host[o] for o in osd_ids if o in on_host}
        unknown = sorted(set(osd_ids) - set(devices))
        if unknown:
            refuse(what, f"the inventory places {_named(unknown)} on no device of {host}")
        users = {d: sorted(o for o, dev in on_host.items() if dev == d)
                 for d in devices.values()}
        serials = {d: inventory.host(host).device(d).serial for d in devices.values()}
    with step(f"{what}: ceph osd tree"):
        problems = live_users(ctx.ceph(cluster).osd_tree(), users)
    if problems:
        refuse(what, "; ".join(problems))
    daemons = ctx.daemons(cluster, host)
    self.fence(what)
    for osd, device in sorted(devices.items()):
        with step(what):
            ctx.ledger.remember(reference, zap_key(host, device),
                                {"osd": osd, "serial": serials[device],
                                 "at": ctx.now().isoformat()})
        with step(f"{what}: zap {device}"):
            daemons.zap_device(device)  # zapping a wiped device again changes nothing
    return {"cluster": cluster, "host": host,
            "zapped": [{"device": d, "serial": serials[d], "osd": o}
                       for o, d in sorted(devices.items())]}


def _named(osd_ids: list[int]) -> str:
    return ", ".join(f"osd.{o}" for o in sorted(osd_ids))
