"""The shape of a sandbox: its folders, addresses, hosts, devices and ceph.conf (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cephmaint.sandbox.release import in_chroot
from cephmaint.sandbox.topology import PgLog, Store, Topology, load_topology

#: The spare hardware of the default topology, without OSDs: the new host of replacement
#: tests. It is named as real hosts are (ceph-osd-12.dc1), so that dashes and dots travel
#: through everything a host name reaches: device paths, CRUSH, sshd, known_hosts, hostctl,
#: step and workflow ids.
SPARE_HOST = "spare-3.dc1"
#: Bytes of RAM each memstore OSD may use: small, the sandbox holds a few MB of data.
MEMSTORE_BYTES = 256 * 1024 * 1024
SSH_PORT = 2222
MON_PORT = 6789
#: The first host's last address byte; hosts follow in the order of the topology.
FIRST_HOST = 10


@dataclass(frozen=True)
class Device:
    """A stand-in disk: a path, a serial number, a bay and a size, as a technician sees it."""

    path: str
    serial: str
    bay: int
    #: The size on its label (the topology's disk_size), not its store's.
    size: int


@dataclass(frozen=True)
class SandboxHost:
    """One sandbox host: its loopback address, its sshd and its devices."""

    name: str
    address: str
    ssh_port: int
    devices: tuple[Device, ...]
    initial_osds: int
    rack: str | None = None
    device_class: str = "hdd"
    db_shared: bool = False
    #: The fast device holding every OSD's DB on a db_shared host (not an OSD's disk).
    db: Device | None = None

    @property
    def disks(self) -> tuple[Device, ...]:
        """Every device a technician finds in the host: its disks, and its DB device."""
        return self.devices + ((self.db,) if self.db is not None else ())

    @property
    def label(self) -> str:
        """The host's first DNS label: the id of the daemons it runs (mon.a1, mgr.a1)."""
        return self.name.split(".", 1)[0]

    def device(self, path: str) -> Device:
        """Return the device at path, or raise KeyError naming the host."""
        for dev in self.disks:
            if dev.path == path:
                return dev
        raise KeyError(f"host {self.name} has no device {path}")


@dataclass(frozen=True)
class Layout:
    """Everything fixed when a sandbox is created; stored as layout.json in its root."""

    name: str
    root: Path
    fsid: str
    subnet: str  # "127.A.B": every address of the sandbox is in 127.A.B.0/24
    hosts: tuple[SandboxHost, ...]
    redis_url: str
    redis_managed: bool
    python: str  # the interpreter that runs hostctl on the hosts
    #: The topology it was made from, as JSON (Topology.model_dump by alias).
    topology: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)
    #: The Ceph release its daemons run ("pacific", "reef").
    release: str = "pacific"
    #: The chroot they run in, for a release the host does not have (None: the host's).
    chroot: str | None = None

    def daemon_argv(self, argv: Sequence[str]) -> list[str]:
        """A Ceph daemon's or tool's command line as run for this sandbox's release."""
        return in_chroot(self.chroot, self.root, argv)

    def shape(self) -> Topology:
        """The topology the sandbox was made from."""
        return Topology.model_validate(self.topology)

    def daemon_hosts(self, daemon: str) -> tuple[SandboxHost, ...]:
        """The hosts running monitors, managers or MDS daemons."""
        return tuple(self.host(name) for name in self.shape().daemon_hosts(daemon))

    @property
    def mon_addresses(self) -> tuple[str, ...]:
        """The addresses the monitors listen on: their hosts' own."""
        return tuple(h.address for h in self.daemon_hosts("mon"))

    @property
    def conf_path(self) -> Path:
        """The cluster's ceph.conf."""
        return self.root / "ceph.conf"

    @property
    def keyring_path(self) -> Path:
        """The client.admin keyring, which the tools read (the ceph command, the tests)."""
        return self.root / "keyring"

    @property
    def cephmaint_keyring_path(self) -> Path:
        """The keyring of cephmaint's own, least-privileged Ceph user."""
        return self.root / "cephmaint.keyring"

    @property
    def ssh_key_path(self) -> Path:
        """The private key that logs into every host."""
        return self.root / "ssh" / "id_ed25519"

    @property
    def known_hosts_path(self) -> Path:
        """The client's known_hosts, listing every host's key."""
        return self.root / "ssh" / "known_hosts"

    @property
    def checksums_path(self) -> Path:
        """Checksums of every object written, by pool."""
        return self.root / "checksums.json"

    @property
    def inventory_path(self) -> Path:
        """The inventory file describing this sandbox."""
        return self.root / "inventory.yaml"

    def host(self, name: str) -> SandboxHost:
        """Return the host called name, or raise KeyError."""
        for h in self.hosts:
            if h.name == name:
                return h
        raise KeyError(f"sandbox {self.name} has no host {name}")

    def to_json(self) -> str:
        """Serialise for layout.json."""
        data = asdict(self)
        data["root"] = str(self.root)
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Layout:
        """Read back what to_json wrote."""
        data = json.loads(text)
        hosts = tuple(
            SandboxHost(**{**h, "devices": tuple(Device(**d) for d in h["devices"]),
                           "db": Device(**h["db"]) if h.get("db") else None})
            for h in data.pop("hosts")
        )
        return cls(**{**data, "root": Path(data["root"]), "hosts": hosts})


def make_layout(
    name: str, root: Path, fsid: str, subnet: str, redis_url: str, redis_managed: bool,
    python: str, topology: Topology | None = None, release: str = "pacific",
    chroot: str | None = None,
) -> Layout:
    """Build the layout of a new sandbox from the choices made by its creator."""
    shape = topology or load_topology("default")
    hosts = []
    for index, (host, spec) in enumerate(shape.hosts.items()):
        devices = tuple(
            Device(
                path=f"/dev/sandbox/{host}-sd{chr(ord('b') + d)}",
                serial=f"SBX-{fsid[:8].upper()}-{index}{d}",
                bay=d + 1,
                size=int(spec.disk_size),
            )
            for d in range(spec.device_count)
        )
        # A db_shared host's DBs live on one fast device of its own: an NVMe of 480 GB.
        db = Device(path=f"/dev/sandbox/{host}-nvme0n1", serial=f"SBX-{fsid[:8].upper()}-"
                    f"{index}N", bay=spec.device_count + 1, size=480_103_981_056) \
            if spec.db_shared else None
        hosts.append(SandboxHost(host, f"{subnet}.{FIRST_HOST + index}", SSH_PORT, devices,
                                 spec.osds, spec.rack, spec.device_class, spec.db_shared, db))
    return Layout(name, root, fsid, subnet, tuple(hosts), redis_url, redis_managed, python,
                  shape.model_dump(mode="json", by_alias=True), release=release,
                  chroot=chroot)


def render_ceph_conf(layout: Layout) -> str:
    """The ceph.conf of a sandbox: its monitors, OSD stores, cephx, files under root."""
    r = layout.root
    mons = layout.daemon_hosts("mon")
    mon_host = ",".join(f"v1:{h.address}:{MON_PORT}" for h in mons)
    pg_log = PG_LOG_SHORT if layout.shape().pg_log == PgLog.SHORT else ""
    return f"""[global]
fsid = {layout.fsid}
mon host = {mon_host}
mon initial members = {",".join(h.label for h in mons)}
# msgr2 is off: v1 on loopback is enough, and the warning about it would block HEALTH_OK.
ms bind msgr2 = false
mon warn on msgr2 not enabled = false
# cephx, as on every production cluster: each daemon has its key (in its data folder),
# the tools client.admin's, and cephmaint a key of its own with only the caps it needs.
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = {layout.keyring_path}
{_store_conf(layout)}# A memstore OSD writes its objects to disk only when it unmounts its store;
# a fast shutdown skips that, so a stopped and restarted OSD would come back empty.
osd fast shutdown = false
osd pool default size = 2
osd pool default min size = 1
osd crush chooseleaf type = 1
osd pool default pg autoscale mode = off
# The sandbox shares a disk with everything else; its own data is in RAM.
mon data avail warn = 1
mon data avail crit = 0
mon allow pool delete = true
# The manager's REST API is of no use here, and on Reef from trixie it cannot load (its
# PyO3-built cryptography refuses the manager's subinterpreters: MGR_MODULE_DEPENDENCY).
mgr initial modules = iostat nfs
run dir = {r}/run
admin socket = {r}/run/$name.asok
log file = {r}/log/$name.log
# PG stats reach the manager every second: waits for clean PGs see moves as they happen.
mgr stats period = 1
# Faster failure detection than production defaults, so tests that stop an OSD move quickly.
osd heartbeat grace = 8
osd heartbeat interval = 2
mon osd down out interval = 600

[mon]
mon data = {r}/mon/$name
keyring = {r}/mon/$name/keyring
# `log last` reads the monitors' summary of each channel, 50 entries by default: reads log
# to the audit channel too, and a test that watches the cluster would push its own changes
# out of view.
mon log max summary = 2000

[mgr]
mgr data = {r}/mgr/$name
keyring = {r}/mgr/$name/keyring

[mds]
mds data = {r}/mds/$name
keyring = {r}/mds/$name/keyring

[osd]
# The sandbox places every OSD in CRUSH itself, before the OSD starts (see cluster.place_osd):
# an OSD that placed itself at start raced its first monitor session here ('wrong fsid').
osd crush update on start = false
osd class update on start = false
# Memstore OSDs on one machine, not spinning disks: recovery and backfill need no pause
# between operations (the hdd default is 0.1 s each). cephmaint's own throttles still apply.
osd recovery sleep = 0
osd recovery sleep hdd = 0
osd recovery sleep hybrid = 0
# A replacement deep-scrubs its new OSDs' PGs: without the scheduler's random back-off
# (it skips two ticks in three by default) and with three at once, a few MB take seconds.
osd scrub backoff ratio = 0
osd max scrubs = 3
osd data = {r}/osd/$name
osd journal = {r}/osd/$name/journal
keyring = {r}/osd/$name/keyring
{pg_log}"""


#: A BlueStore OSD's data and DB files: sparse, so they take only what is written.
BLOCK_BYTES = 2 * 1024**3
#: A DB file smaller than about 1 GiB spills RocksDB over to the data device at once
#: (BLUEFS_SPILLOVER), even for the sandbox's few MB.
DB_BYTES = 1024**3


def _store_conf(layout: Layout) -> str:
    if layout.shape().store == Store.MEMSTORE:
        return f"osd objectstore = memstore\nmemstore device bytes = {MEMSTORE_BYTES}\n"
    # The block file lives outside the OSD's data folder: BlueStore makes `block` there a
    # link to it, and a path inside the folder fails mkfs ("Too many levels of symbolic
    # links"). Small caches, fixed: the sandbox's OSDs share one small machine.
    return f"""osd objectstore = bluestore
bluestore block create = true
bluestore block size = {BLOCK_BYTES}
bluestore block path = {layout.root}/disks/$name.block
bluestore cache autotune = false
bluestore cache size = 67108864
osd memory target = 939524096
"""


def db_path(layout: Layout, host: SandboxHost, osd_id: int) -> Path:
    """The DB file of an OSD of a host whose OSDs share one fast device (db_shared)."""
    return layout.root / "disks" / f"{host.name}-db" / f"osd.{osd_id}.db"


#: A sandbox PG holds a few dozen objects, fewer than Ceph's shortest PG log (250 entries):
#: a weight change then recovers them from the log and shows them *degraded*. With logs this
#: short they are *remapped* and *backfilling*, as on production clusters, once each PG has
#: written more entries than its log keeps (see data.HISTORY).
PG_LOG_MAX_ENTRIES = 4
PG_LOG_SHORT = f"""osd min pg log entries = 2
osd max pg log entries = {PG_LOG_MAX_ENTRIES}
osd pg log trim min = 1
"""
