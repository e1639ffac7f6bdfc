"""The inventory file a sandbox writes to describe itself, in the inventory package's schema."""

from __future__ import annotations

import getpass
from collections.abc import Mapping

from cephmaint.sandbox.cluster import CEPHMAINT_CLIENT
from cephmaint.sandbox.layout import Layout, SandboxHost
from cephmaint.sandbox.registry import OsdRecord, Registry
from inventory import (
    CephAccess,
    Cluster,
    CommandsControl,
    Device,
    Host,
    Inventory,
    Osd,
    SshAccess,
    Throttles,
    write_inventory,
)

#: Every sandbox host sits in one datacenter and one room, in its topology's rack, or in a
#: rack of its own (R0, R1, ... in the order of the layout's hosts) when it names none.
DATACENTER = "SBX1"
ROOM = "lab"


def write_sandbox_inventory(layout: Layout, registry: Registry,
                            live: Mapping[int, str] | None = None) -> None:
    """Write inventory.yaml describing the sandbox's cluster, hosts, devices and OSDs."""
    write_inventory(sandbox_inventory(layout, registry, live), layout.inventory_path)


def sandbox_inventory(layout: Layout, registry: Registry,
                      live: Mapping[int, str] | None = None) -> Inventory:
    """The sandbox as an inventory: its hosts are reached over SSH, its OSDs by hostctl.

    live maps the OSDs CRUSH holds to their hosts: given, only those are listed (a
    purged OSD keeps its record until its disk is zapped, but it is no longer the host's).
    """
    records = [r for r in sorted(registry.osds(), key=lambda r: r.osd_id)
               if live is None or live.get(r.osd_id) == r.host]
    cluster = Cluster(
        name=layout.name,
        access=CephAccess(conf_path=layout.conf_path,
                          keyring_path=layout.cephmaint_keyring_path,
                          client_name=CEPHMAINT_CLIENT),
        failure_domain_type=str(layout.shape().widest_failure_domain),
        # Small steps and short pauses: the sandbox holds a few MB and moves them in seconds.
        throttles=Throttles(max_backfilling_pgs=16, crush_weight_step=0.5,
                            step_interval_seconds=2),
        hosts=tuple(_host(layout, h, registry, rack=h.rack or f"R{index}")
                    for index, h in enumerate(layout.hosts)),
        osds=tuple(_osd(r, layout.host(r.host)) for r in records),
    )
    return Inventory(clusters=(cluster,))


def _host(layout: Layout, host: SandboxHost, registry: Registry, rack: str) -> Host:
    hostctl = (layout.python, "-m", "cephmaint.sandbox.hostctl",
               "--root", str(layout.root), "--host", host.name)
    return Host(
        name=host.name,
        datacenter=DATACENTER,
        room=ROOM,
        rack=rack,
        ssh=SshAccess(address=host.address, port=host.ssh_port, user=_user(),
                      key_path=layout.ssh_key_path, known_hosts_path=layout.known_hosts_path),
        daemon_control=CommandsControl(
            start_osd=(*hostctl, "start-osd", "{osd_id}"),
            stop_osd=(*hostctl, "stop-osd", "{osd_id}"),
            # Like `ceph-volume lvm create --osd-id N`: N is a destroyed OSD's id or one not in
            # the osdmap; add_node always passes it (ceph_tasks/osd_creation.py says why).
            create_osd=(*hostctl, "create-osd", "{device}", "--osd-id", "{osd_id}"),
            zap_device=(*hostctl, "zap", "{device}"),
            list_devices=(*hostctl, "list-devices"),
            add_daemon=(*hostctl, "add-daemon", "{kind}", "{daemon_id}"),
            remove_daemon=(*hostctl, "remove-daemon", "{kind}", "{daemon_id}"),
        ),
        # Never `systemctl reboot`: that would restart the machine the sandbox runs on.
        reboot_command=(*hostctl, "reboot"),
        boot_id_command=(*hostctl, "boot-id"),
        devices=tuple(
            Device(path=d.path, serial=registry.serial(d.path, d.serial), bay=str(d.bay),
                   size_bytes=d.size, db=d is host.db)
            for d in host.disks
        ),
    )


def _osd(record: OsdRecord, host: SandboxHost) -> Osd:
    return Osd(id=record.osd_id, host=record.host, device=record.device,
               db_device=host.db.path if host.db is not None else None,
               device_class=host.device_class)


def _user() -> str:
    # The sandbox's sshd runs as whoever started it and only lets that user in.
    return getpass.getuser()
