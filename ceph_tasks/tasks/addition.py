"""Add a node: create OSDs on its free devices over SSH, at CRUSH weight 0.

New OSDs carry no data until their weight is raised, which is a separate step of the
workflow (cephmaint.reweight, in steps under the throttles). Which id each device gets is
decided by ceph_tasks.decisions.osd_ids and recorded in the ledger before the OSD is created, so
a repeated run skips what is done. A repeating task: it runs again until the new OSDs are up.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.osd_ids import (
    DeviceState,
    ledger_key,
    plan_devices,
    reserved_ids,
)
from ceph_tasks.decisions.weights import same_weight
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step

#: Creating an OSD takes seconds to minutes per disk; coming up after it, seconds.
UP_TIMEOUT = 600.0
UP_INTERVAL = 2.0


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.ADD_NODE)  # type: ignore[untyped-decorator]
def add_node(self: MaintenanceTask, cluster: str, host: str, reference: str,
             devices: list[str] | None = None, timeout: float = UP_TIMEOUT,
             interval: float = UP_INTERVAL) -> dict[str, Any]:
    """Create an OSD at weight 0 on each listed (default: every) inventory device of a host.

    Devices already holding an OSD are skipped. Returns "osds": every OSD this maintenance
    created on the host (also in the ledger under "new-osd:<host>:<device>"), and
    "created_this_run": those this very run created (none on a repeated run).
    """
    what = f"cluster {cluster}: add OSDs on host {host}"
    ctx = self.context
    with step(what):
        inventory = ctx.cluster(cluster)
        # A DB device holds other OSDs' DBs: never an OSD of its own.
        listed = [d.path for d in inventory.host(host).devices if not d.db]
        inventory_osds = {o.device: o.id for o in inventory.osds_on(host) if o.device}
        ceph = ctx.ceph(cluster)
    wanted = listed if devices is None else list(devices)
    unknown = [d for d in wanted if d not in listed]
    if unknown or not wanted:
        refuse(what, f"devices {unknown} are not data disks in the inventory of host {host}"
               if unknown else f"host {host} has no devices in the inventory")
    with step(f"{what}: ceph osd tree"):
        tree = ceph.osd_tree()
    with step(what):
        reservations = reserved_ids(ctx.ledger.entries(reference))
    plans = plan_devices(tree, host, wanted, inventory_osds, reservations)
    conflicts = [p for p in plans if p.state is DeviceState.CONFLICT]
    if conflicts:
        refuse(what, "; ".join(f"osd.{p.osd_id} reserved for {p.device} now belongs to "
                               f"host {tree.host_of(p.osd_id)}" for p in conflicts))

    daemons = ctx.daemons(cluster, host)
    created: list[int] = []
    for p in plans:
        if p.state is not DeviceState.CREATE:
            continue
        with step(what):
            osd_id = ctx.ledger.remember(reference, ledger_key(host, p.device), p.osd_id)
        if osd_id != p.osd_id:
            # Another run of this maintenance reserved the device meanwhile: plan again.
            self.again(reference=reference, countdown=interval, timeout=timeout,
                       waiting_for=what, last_seen=f"{p.device} reserved for osd.{osd_id}")
        self.progress(cluster=cluster, host=host, creating=osd_id, device=p.device,
                      created=created)
        with step(f"{what}: create osd.{osd_id} on {p.device}"):
            daemons.create_osd(p.device, osd_id)
        created.append(osd_id)

    ours = sorted({*created, *(p.osd_id for p in plans if p.reserved)})
    with step(f"{what}: ceph osd tree"):
        tree = ceph.osd_tree()
    on_host = tree.hosts().get(host, frozenset())
    misplaced = [i for i in ours if i not in on_host]
    if misplaced:
        refuse(what, f"{', '.join(f'osd.{i}' for i in misplaced)} created but not under the "
                     f"host bucket {host}: check the host's create command and CRUSH location")
    weights = tree.crush_weights(frozenset(ours))
    for osd in created:
        # A host without osd_crush_initial_weight = 0 starts OSDs at their size: take the
        # weight back at once, before PGs map to the new OSD; the workflow raises it later.
        if not same_weight(weights[osd], 0.0):
            with step(f"{what}: ceph osd crush reweight osd.{osd} 0"):
                ceph.client.mon_command("osd crush reweight", name=f"osd.{osd}", weight=0.0)
            weights[osd] = 0.0
    skipped = {p.device: p.osd_id for p in plans
               if p.state is DeviceState.HOLDS_OSD and not p.reserved}
    report: dict[str, Any] = {"cluster": cluster, "host": host, "osds": ours,
                              "created_this_run": created, "skipped": skipped,
                              "weights": {f"osd.{o}": w for o, w in sorted(weights.items())}}
    down = [n.id for n in tree.osds() if n.id in ours and not n.up]
    if down:
        self.progress(**report, waiting_for="new OSDs up", down=down)
        self.again(reference=reference, countdown=interval, timeout=timeout,
                   waiting_for=f"{what}: the new OSDs to come up",
                   last_seen=f"down: {', '.join(f'osd.{i}' for i in down)}")
    return report
