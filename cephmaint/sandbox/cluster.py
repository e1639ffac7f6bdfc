"""The sandbox's Ceph daemons: bootstrap a monitor and a manager, create and run OSDs."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.bindings import load_rados
from cephmaint.errors import SandboxError
from cephmaint.sandbox.layout import DB_BYTES, MON_PORT, Layout, SandboxHost, db_path
from cephmaint.sandbox.procs import Daemon, run
from cephmaint.sandbox.topology import Store

ZERO_FSID = "00000000-0000-0000-0000-000000000000"

#: What each daemon's key may do, as a manual deployment gives them
#: (https://docs.ceph.com/en/pacific/install/manual-deployment/).
DAEMON_CAPS = {
    "osd": ["mon", "allow profile osd", "mgr", "allow profile osd", "osd", "allow *"],
    "mgr": ["mon", "allow profile mgr", "osd", "allow *", "mds", "allow *"],
    "mds": ["mon", "allow profile mds", "osd", "allow rwx", "mds", "allow",
            "mgr", "allow profile mds"],
}
#: cephmaint's own user: it changes the cluster maps (mon) and runs the manager's commands
#: (purge, balancer, PG stats) but holds no `x` (it can neither read nor make keys) and no
#: OSD cap (it reads and writes no object). Blanket caps short of `*` do not reach the
#: config-key store: its own keys (the ledger's copies) are granted by command and prefix.
#: https://docs.ceph.com/en/pacific/rados/operations/user-management/
CEPHMAINT_CLIENT = "client.cephmaint"
CEPHMAINT_CAPS = ["mon", "allow rw, " + ", ".join(
    f'allow command "config-key {verb}" with key prefix cephmaint/'
    for verb in ("set", "rm", "dump")), "mgr", "allow rw"]


def host_daemons(layout: Layout, kind: str, hosts: Sequence[str] | None = None) -> list[Daemon]:
    """The mon, mgr or mds daemons of hosts (the topology's by default), named after them.

    Managers and MDS daemons: the first to start is active, the others stand by.
    """
    chosen = layout.daemon_hosts(kind) if hosts is None else [layout.host(h) for h in hosts]
    return [service_daemon(layout, kind, host) for host in chosen]


def service_daemon(layout: Layout, kind: str, host: SandboxHost) -> Daemon:
    """The mon, mgr or mds of a host, on the host's address, named after it (mon.a1)."""
    address = f"{host.address}:{MON_PORT}" if kind == "mon" else host.address
    return Daemon(
        f"{kind}.{host.label}",
        layout.daemon_argv([f"ceph-{kind}", "-f", "-c", str(layout.conf_path), "-i",
                            host.label, "--public-addr", address]),
        layout.root / "run", layout.root / "log" / f"{kind}.{host.label}.out")


def make_monitor_store(layout: Layout, host: SandboxHost) -> None:
    """The store of a monitor that joins the running cluster: today's monmap, the mon. key.

    Started on its host's address, it asks the quorum to add it to the monmap.
    https://docs.ceph.com/en/pacific/rados/operations/add-or-rm-mons/#adding-a-monitor-manual
    """
    store = layout.root / "mon" / f"mon.{host.label}"
    if (store / "store.db").exists():
        return
    monmap = layout.root / "run" / f"monmap.{host.label}"
    # Through librados, which finds a live monitor by itself (the `ceph` command line was
    # seen to fail once with EPERM getting its command descriptions).
    with connect(layout) as mon:
        monmap.write_bytes(mon.output("mon getmap"))
    run(layout.daemon_argv(["ceph-mon", "-c", str(layout.conf_path), "--mkfs", "-i",
                            host.label, "--monmap", str(monmap),
                            "--keyring", str(layout.root / "mon.keyring")]),
        f"creating the store of mon.{host.label}",
        log=layout.root / "log" / f"mon.{host.label}.log")
    monmap.unlink(missing_ok=True)


def write_key(mon: Mon, entity: str, caps: Sequence[str], keyring: Path) -> None:
    """Make entity's key (or fetch the one it has) and write its keyring file."""
    made = mon.command("auth get-or-create", entity=entity, caps=list(caps))
    keyring.parent.mkdir(parents=True, exist_ok=True)
    keyring.write_text(f"[{entity}]\n\tkey = {made[0]['key']}\n")
    keyring.chmod(0o600)


def write_daemon_key(mon: Mon, layout: Layout, name: str) -> None:
    """The key of daemon name (osd.3, mgr.a1), in its data folder where ceph.conf looks."""
    kind = name.split(".", 1)[0]
    write_key(mon, name, DAEMON_CAPS[kind], layout.root / kind / name / "keyring")


def osd_daemon(layout: Layout, osd_id: int, host: str) -> Daemon:
    """OSD osd_id, bound to its host's address (its CRUSH place is set when it is created)."""
    address = layout.host(host).address
    return Daemon(
        f"osd.{osd_id}",
        layout.daemon_argv(["ceph-osd", "-f", "-c", str(layout.conf_path), "-i", str(osd_id),
                            "--public-addr", address, "--cluster-addr", address]),
        layout.root / "run", layout.root / "log" / f"osd.{osd_id}.out",
    )


def bootstrap_monitor(layout: Layout) -> None:
    """Create keyrings, the monmap and the monitor's store (first start only)."""
    r = layout.root
    for sub in ("run", "log", "mon", "mgr", "mds", "osd"):
        (r / sub).mkdir(parents=True, exist_ok=True)
    mon_keyring = r / "mon.keyring"
    tool = layout.daemon_argv
    run(tool(["ceph-authtool", "--create-keyring", str(mon_keyring), "--gen-key", "-n", "mon.",
              "--cap", "mon", "allow *"]), "creating the mon. key")
    run(tool(["ceph-authtool", "--create-keyring", str(layout.keyring_path), "--gen-key",
              "-n", "client.admin", "--cap", "mon", "allow *", "--cap", "osd", "allow *",
              "--cap", "mgr", "allow *", "--cap", "mds", "allow *"]),
        "creating the client.admin key")
    run(tool(["ceph-authtool", str(mon_keyring), "--import-keyring",
              str(layout.keyring_path)]), "importing client.admin into the mon keyring")
    monmap = r / "monmap"
    mons = layout.daemon_hosts("mon")
    addresses = [w for h in mons for w in ("--addv", h.label, f"[v1:{h.address}:{MON_PORT}]")]
    run(tool(["monmaptool", "--create", "--clobber", "--fsid", layout.fsid, *addresses,
              str(monmap)]), "creating the monmap")
    for host in mons:
        run(tool(["ceph-mon", "-c", str(layout.conf_path), "--mkfs", "-i", host.label,
                  "--monmap", str(monmap), "--keyring", str(mon_keyring)]),
            f"creating the store of mon.{host.label}",
            log=r / "log" / f"mon.{host.label}.log")
    for daemon in ("mgr", "mds"):
        for host in layout.daemon_hosts(daemon):
            (r / daemon / f"{daemon}.{host.label}").mkdir(parents=True, exist_ok=True)


class Mon:
    """A librados connection to the sandbox cluster for the bootstrap's own commands."""

    def __init__(self, conf: Path, timeout: float = 10) -> None:
        rados = load_rados()
        self._cluster = rados.Rados(
            conffile=str(conf),
            conf={"client_mount_timeout": str(int(timeout)),
                  "rados_mon_op_timeout": str(int(timeout)),
                  "rados_osd_op_timeout": str(int(timeout)),
                  "log_file": "", "log_to_stderr": "false"},
        )
        self._cluster.connect(timeout=int(timeout))
        # With auth none, connect() returns before the first monmap arrives; until it does,
        # commands carry a zero fsid and the monitor answers EPERM "wrong fsid".
        deadline = time.monotonic() + timeout
        while self._cluster.get_fsid() == ZERO_FSID:
            if time.monotonic() > deadline:
                self._cluster.shutdown()
                raise SandboxError("connected, but the monitor sent no monmap")
            time.sleep(0.01)

    def command(self, prefix: str, **args: Any) -> Any:
        """Run a mon command; return its JSON output (or None when it prints nothing)."""
        cmd = {"prefix": prefix, "format": "json", **args}
        ret, out, err = self._cluster.mon_command(json.dumps(cmd), b"")
        if ret != 0:
            raise SandboxError(f"ceph {prefix} failed ({ret}): {err}")
        return json.loads(out) if out.strip() else None

    def output(self, prefix: str, **args: Any) -> bytes:
        """Run a mon command whose answer is binary (a map); return it."""
        ret, out, err = self._cluster.mon_command(json.dumps({"prefix": prefix, **args}), b"")
        if ret != 0:
            raise SandboxError(f"ceph {prefix} failed ({ret}): {err}")
        return bytes(out)

    def open_ioctx(self, pool: str) -> Any:
        """An I/O context on pool."""
        return self._cluster.open_ioctx(pool)

    def close(self) -> None:
        """Close the connection."""
        self._cluster.shutdown()


@contextmanager
def connect(layout: Layout, timeout: float = 10) -> Iterator[Mon]:
    """Connect to the sandbox cluster for the duration of a block."""
    try:
        mon = Mon(layout.conf_path, timeout)
    except SandboxError:
        raise
    except Exception as e:  # librados raises its own exception classes
        raise SandboxError(f"cannot connect to the sandbox monitor: {e}") from e
    try:
        yield mon
    finally:
        mon.close()


def allocate_osd(mon: Mon, osd_id: int | None = None) -> tuple[int, str]:
    """Allocate a new OSD id (or reuse a destroyed one, for a disk swap); return id and uuid."""
    osd_uuid = str(uuid.uuid4())
    args: dict[str, Any] = {"uuid": osd_uuid}
    if osd_id is not None:
        args["id"] = osd_id
    created = mon.command("osd new", **args)
    new_id = int(created["osdid"]) if isinstance(created, dict) else int(created)
    return new_id, osd_uuid


def place_osd(mon: Mon, osd_id: int, host: SandboxHost, weight: float) -> None:
    """Put an OSD under its host (in its rack) in CRUSH, with a weight and its device class."""
    where = [f"host={host.name}", *([f"rack={host.rack}"] if host.rack else []), "root=default"]
    mon.command("osd crush add", id=osd_id, weight=weight, args=where)
    mon.command("osd crush set-device-class",
                **{"class": host.device_class, "ids": [str(osd_id)]})


def make_osd_store(layout: Layout, osd_id: int, osd_uuid: str, host: SandboxHost) -> None:
    """Create the store of an allocated OSD: memstore, or BlueStore on plain files."""
    (layout.root / "osd" / f"osd.{osd_id}").mkdir(parents=True, exist_ok=True)
    (layout.root / "disks").mkdir(exist_ok=True)
    extra: list[str] = []
    if host.db_shared and layout.shape().store == Store.BLUESTORE:
        db = db_path(layout, host, osd_id)
        db.parent.mkdir(parents=True, exist_ok=True)
        extra = ["--bluestore-block-db-create", "true", "--bluestore-block-db-size",
                 str(DB_BYTES), "--bluestore-block-db-path", str(db)]
    run(layout.daemon_argv(["ceph-osd", "-c", str(layout.conf_path), "-i", str(osd_id),
                            "--mkfs", "--osd-uuid", osd_uuid, *extra]),
        f"making the store of osd.{osd_id}",
        log=layout.root / "log" / f"osd.{osd_id}.log")


def remove_osd_store(layout: Layout, osd_id: int, host: SandboxHost) -> None:
    """Wipe an OSD's store: its folder, and its BlueStore block and DB files."""
    shutil.rmtree(layout.root / "osd" / f"osd.{osd_id}", ignore_errors=True)
    (layout.root / "disks" / f"osd.{osd_id}.block").unlink(missing_ok=True)
    db_path(layout, host, osd_id).unlink(missing_ok=True)
