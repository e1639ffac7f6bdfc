"""Daemon control on a sandbox host, standing in for systemd / cephadm on real hosts.

An inventory names it as command templates, run over SSH on the host:
``python -m cephmaint.sandbox.hostctl --root ROOT --host node2 stop-osd 4``.
It prints JSON on success; on refusal it prints the reason on stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cephmaint.errors import SandboxError
from cephmaint.sandbox import cluster, sshd
from cephmaint.sandbox.layout import Layout, SandboxHost
from cephmaint.sandbox.procs import Daemon, wait_for
from cephmaint.sandbox.registry import OsdRecord, Registry


class HostControl:
    """The daemons and disks of one sandbox host."""

    def __init__(self, root: Path, host: str) -> None:
        self.layout = Layout.from_json((root / "layout.json").read_text())
        try:
            self.host: SandboxHost = self.layout.host(host)
        except KeyError as e:
            raise SandboxError(str(e.args[0])) from e
        self.registry = Registry(root)

    def _own_osd(self, osd_id: int) -> OsdRecord:
        rec = self.registry.osd(osd_id)
        if rec is None or rec.host != self.host.name:
            raise SandboxError(f"osd.{osd_id} does not live on host {self.host.name}")
        return rec

    def list_devices(self) -> list[dict[str, Any]]:
        """The host's disks as the host reports them: path, serial, bay, size, OSD."""
        by_device = {r.device: r.osd_id for r in self.registry.osds() if r.host == self.host.name}
        return [
            {"path": d.path, "serial": self.registry.serial(d.path, d.serial), "bay": d.bay,
             "size": d.size, "osd_id": by_device.get(d.path)}
            for d in self.host.disks
        ]

    def start_osd(self, osd_id: int) -> dict[str, Any]:
        """Start an OSD of this host (and keep it started across `sandbox up`)."""
        rec = self._own_osd(osd_id)
        rec.enabled = True
        self.registry.put_osd(rec)
        pid = cluster.osd_daemon(self.layout, osd_id, self.host.name).start()
        return {"osd_id": osd_id, "pid": pid, "running": True}

    def stop_osd(self, osd_id: int, *, kill: bool = False) -> dict[str, Any]:
        """Stop an OSD of this host (and keep it stopped across `sandbox up`); kill: at once,
        with SIGKILL, as when its disk dies, rather than a clean shutdown."""
        rec = self._own_osd(osd_id)
        rec.enabled = False
        self.registry.put_osd(rec)
        daemon = cluster.osd_daemon(self.layout, osd_id, self.host.name)
        if kill:
            daemon.kill()
        else:
            daemon.stop()
        return {"osd_id": osd_id, "running": False}

    def create_osd(self, device: str, osd_id: int | None, weight: float) -> dict[str, Any]:
        """Create and start an OSD on a free device of this host, at the given CRUSH weight."""
        try:
            self.host.device(device)
        except KeyError as e:
            raise SandboxError(str(e.args[0])) from e
        if self.host.db is not None and device == self.host.db.path:
            raise SandboxError(f"{device} is the DB device of {self.host.name}, not a data disk")
        for rec in self.registry.osds():
            if rec.host == self.host.name and rec.device == device:
                raise SandboxError(f"{device} on {self.host.name} already holds osd.{rec.osd_id}")
        with cluster.connect(self.layout) as mon:
            new_id, osd_uuid = cluster.allocate_osd(mon, osd_id)
            cluster.write_daemon_key(mon, self.layout, f"osd.{new_id}")
            cluster.make_osd_store(self.layout, new_id, osd_uuid, self.host)
            cluster.place_osd(mon, new_id, self.host, weight)
            self.registry.put_osd(OsdRecord(new_id, self.host.name, device, osd_uuid))
            daemon = cluster.osd_daemon(self.layout, new_id, self.host.name)
            daemon.start()
            wait_for(lambda: _is_up(mon, new_id), 60, f"osd.{new_id} to come up", [daemon])
        return {"osd_id": new_id, "device": device, "weight": weight}

    def zap(self, device: str) -> dict[str, Any]:
        """Wipe a device whose OSD is stopped, so that it can hold a new OSD."""
        for rec in self.registry.osds():
            if rec.host == self.host.name and rec.device == device:
                if cluster.osd_daemon(self.layout, rec.osd_id, self.host.name).running():
                    raise SandboxError(f"osd.{rec.osd_id} on {device} is running: stop it first")
                self.registry.drop_osd(rec.osd_id)
                cluster.remove_osd_store(self.layout, rec.osd_id, self.host)
                return {"device": device, "zapped_osd": rec.osd_id}
        return {"device": device, "zapped_osd": None}

    def add_daemon(self, kind: str, daemon_id: str) -> dict[str, Any]:
        """Bring up a monitor, manager or MDS on this host (and keep it across `sandbox up`).

        A monitor gets a store made from today's monmap and joins the quorum by itself.
        """
        daemon = self._service(kind, daemon_id)
        if kind == "mon":
            cluster.make_monitor_store(self.layout, self.host)
        else:
            with cluster.connect(self.layout) as mon:
                cluster.write_daemon_key(mon, self.layout, f"{kind}.{daemon_id}")
        self.registry.place_service(kind, self.host.name, running=True)
        pid = daemon.start()
        return {"daemon": f"{kind}.{daemon_id}", "pid": pid, "running": True}

    def remove_daemon(self, kind: str, daemon_id: str) -> dict[str, Any]:
        """Stop a monitor, manager or MDS of this host for good (not started by `sandbox up`)."""
        daemon = self._service(kind, daemon_id)
        self.registry.place_service(kind, self.host.name, running=False)
        daemon.stop()
        if kind == "mon":
            # Out of the monmap, its store is of no use; a monitor added here later (new
            # hardware in the same place) starts from today's monmap.
            shutil.rmtree(self.layout.root / "mon" / f"mon.{daemon_id}", ignore_errors=True)
        return {"daemon": f"{kind}.{daemon_id}", "running": False}

    def _service(self, kind: str, daemon_id: str) -> Daemon:
        if kind not in ("mon", "mgr", "mds"):
            raise SandboxError(f"unknown daemon kind {kind!r}: mon, mgr or mds")
        if daemon_id != self.host.label:
            # The sandbox names a host's daemons after it, as deployment tools do.
            raise SandboxError(f"daemons of {self.host.name} are called {self.host.label}, "
                               f"not {daemon_id}")
        return cluster.service_daemon(self.layout, kind, self.host)

    def reboot(self) -> dict[str, Any]:
        """What a reboot does to the host's Ceph: its OSDs stop, the enabled ones start again.

        The machine itself is never rebooted: this is the inventory's reboot command of a
        sandbox host. A new boot id tells the maintenance that the reboot happened.
        """
        mine = [r for r in self.registry.osds() if r.host == self.host.name]
        for rec in mine:
            cluster.osd_daemon(self.layout, rec.osd_id, self.host.name).stop()
        if self.registry.dies_on_boot(self.host.name):
            # A host that never comes back: it answers no more (its sshd goes), nothing
            # starts. This very command still ends, as a reboot's SSH session may.
            sshd.sshd_daemon(self.layout, self.host).stop()
            return {"host": self.host.name, "boot_id": None, "started": []}
        self.registry.booted(self.host.name)
        started = [r.osd_id for r in mine if r.enabled]
        for osd_id in started:
            cluster.osd_daemon(self.layout, osd_id, self.host.name).start()
        return {"host": self.host.name, "boot_id": self.boot_id(), "started": started}

    def die_on_next_boot(self) -> dict[str, Any]:
        """A fault for tests: the host's next reboot is its last (a dead mainboard)."""
        self.registry.die_on_next_boot(self.host.name)
        return {"host": self.host.name, "dies_on_next_boot": True}

    def boot_id(self) -> str:
        """An id that changes on every reboot of this host, as the kernel's boot_id does."""
        return f"{self.host.name}-boot-{self.registry.boots(self.host.name)}"

    def swap_disk(self, device: str, serial: str) -> dict[str, Any]:
        """What a technician does: a new disk with a new serial in the device's bay."""
        self.zap(device)
        self.registry.set_serial(device, serial)
        return {"device": device, "serial": serial}


def _is_up(mon: cluster.Mon, osd_id: int) -> bool:
    dump = mon.command("osd dump")
    return any(o["osd"] == osd_id and o["up"] for o in dump["osds"])


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hostctl", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, required=True, help="the sandbox's root folder")
    p.add_argument("--host", required=True, help="the sandbox host this runs on")
    sub = p.add_subparsers(dest="action", required=True)
    sub.add_parser("list-devices")
    sub.add_parser("reboot")
    sub.add_parser("boot-id")
    sub.add_parser("die-on-next-boot")
    for name in ("start-osd", "stop-osd", "kill-osd"):
        sub.add_parser(name).add_argument("osd_id", type=int)
    create = sub.add_parser("create-osd")
    create.add_argument("device")
    create.add_argument("--osd-id", type=int, default=None, help="reuse a destroyed OSD's id")
    create.add_argument("--weight", type=float, default=0.0, help="initial CRUSH weight")
    sub.add_parser("zap").add_argument("device")
    for name in ("add-daemon", "remove-daemon"):
        service = sub.add_parser(name)
        service.add_argument("kind", choices=("mon", "mgr", "mds"))
        service.add_argument("daemon_id")
    swap = sub.add_parser("swap-disk")
    swap.add_argument("device")
    swap.add_argument("serial")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one host action; print its JSON result."""
    args = _parser().parse_args(argv)
    try:
        ctl = HostControl(args.root, args.host)
        actions: dict[str, Callable[[], Any]] = {
            "list-devices": lambda: ctl.list_devices(),
            "start-osd": lambda: ctl.start_osd(args.osd_id),
            "stop-osd": lambda: ctl.stop_osd(args.osd_id),
            "kill-osd": lambda: ctl.stop_osd(args.osd_id, kill=True),
            "create-osd": lambda: ctl.create_osd(args.device, args.osd_id, args.weight),
            "zap": lambda: ctl.zap(args.device),
            "add-daemon": lambda: ctl.add_daemon(args.kind, args.daemon_id),
            "remove-daemon": lambda: ctl.remove_daemon(args.kind, args.daemon_id),
            "swap-disk": lambda: ctl.swap_disk(args.device, args.serial),
            "reboot": lambda: ctl.reboot(),
            "boot-id": lambda: ctl.boot_id(),
            "die-on-next-boot": lambda: ctl.die_on_next_boot(),
        }
        result = actions[args.action]()
        if args.action == "boot-id":
            print(result)  # plain, as /proc/sys/kernel/random/boot_id prints it
            return 0
    except (SandboxError, FileNotFoundError) as e:
        print(f"hostctl {args.action} on {args.host}: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
