"""The shape of a sandbox: its folders, addresses, hosts, devices and ceph.conf (pure)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: The spare hardware, without OSDs: the new host of replacement tests. It is named as
#: real hosts are (ceph-osd-12.dc1), so that dashes and dots travel through everything a
#: host name reaches: device paths, CRUSH, sshd, known_hosts, hostctl, step and workflow ids.
SPARE_HOST = "spare-3.dc1"
#: Hosts of every sandbox and how many OSDs each starts with.
HOSTS: tuple[tuple[str, int], ...] = (("node0", 2), ("node1", 2), ("node2", 2), (SPARE_HOST, 0))
#: Devices per host: the OSDs take the first ones, the rest stay free for new OSDs.
DEVICES_PER_HOST = 3
#: Bytes of RAM each memstore OSD may use: small, the sandbox holds a few MB of data.
MEMSTORE_BYTES = 256 * 1024 * 1024
#: CRUSH weight of every initial OSD: round, so that weight steps read well.
INITIAL_WEIGHT = 1.0
DATA_POOL = "data"
DATA_POOL_PGS = 32
SSH_PORT = 2222
MON_PORT = 6789


@dataclass(frozen=True)
class Device:
    """A stand-in disk: a path, a serial number and a bay, as a technician sees it."""

    path: str
    serial: str
    bay: int
    size: int = MEMSTORE_BYTES


@dataclass(frozen=True)
class SandboxHost:
    """One sandbox host: its loopback address, its sshd and its devices."""

    name: str
    address: str
    ssh_port: int
    devices: tuple[Device, ...]
    initial_osds: int

    def device(self, path: str) -> Device:
        """Return the device at path, or raise KeyError naming the host."""
        for dev in self.devices:
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
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def mon_address(self) -> str:
        """The address the monitor (and manager) listen on."""
        return f"{self.subnet}.1"

    @property
    def conf_path(self) -> Path:
        """The cluster's ceph.conf."""
        return self.root / "ceph.conf"

    @property
    def keyring_path(self) -> Path:
        """The client.admin keyring (auth is off, but the tools still read one)."""
        return self.root / "keyring"

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
        """Checksums of every object written to the data pool."""
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
            SandboxHost(**{**h, "devices": tuple(Device(**d) for d in h["devices"])})
            for h in data.pop("hosts")
        )
        return cls(**{**data, "root": Path(data["root"]), "hosts": hosts})


def make_layout(
    name: str, root: Path, fsid: str, subnet: str, redis_url: str, redis_managed: bool,
    python: str,
) -> Layout:
    """Build the layout of a new sandbox from the choices made by its creator."""
    hosts = []
    for index, (host, osds) in enumerate(HOSTS):
        devices = tuple(
            Device(
                path=f"/dev/sandbox/{host}-sd{chr(ord('b') + d)}",
                serial=f"SBX-{fsid[:8].upper()}-{index}{d}",
                bay=d + 1,
            )
            for d in range(DEVICES_PER_HOST)
        )
        hosts.append(SandboxHost(host, f"{subnet}.{10 + index}", SSH_PORT, devices, osds))
    return Layout(name, root, fsid, subnet, tuple(hosts), redis_url, redis_managed, python)


def render_ceph_conf(layout: Layout) -> str:
    """The ceph.conf of a sandbox: one mon, memstore OSDs, no auth, every file under root."""
    r = layout.root
    return f"""[global]
fsid = {layout.fsid}
mon host = v1:{layout.mon_address}:{MON_PORT}
mon initial members = a
# msgr2 is off: v1 on loopback is enough, and the warning about it would block HEALTH_OK.
ms bind msgr2 = false
mon warn on msgr2 not enabled = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
keyring = {layout.keyring_path}
osd objectstore = memstore
memstore device bytes = {MEMSTORE_BYTES}
# A memstore OSD writes its objects to disk only when it unmounts its store; a fast
# shutdown skips that, so a stopped and restarted OSD would come back empty.
osd fast shutdown = false
osd pool default size = 2
osd pool default min size = 1
osd crush chooseleaf type = 1
osd pool default pg autoscale mode = off
# The sandbox shares a disk with everything else; its own data is in RAM.
mon data avail warn = 1
mon data avail crit = 0
mon allow pool delete = true
run dir = {r}/run
admin socket = {r}/run/$name.asok
log file = {r}/log/$name.log
# Faster failure detection than production defaults, so tests that stop an OSD move quickly.
osd heartbeat grace = 8
osd heartbeat interval = 2
mon osd down out interval = 600

[mon]
mon data = {r}/mon/$name

[mgr]
mgr data = {r}/mgr/$name

[osd]
# The sandbox places every OSD in CRUSH itself, before the OSD starts (see cluster.place_osd):
# an OSD that placed itself at start raced its first monitor session here ('wrong fsid').
osd crush update on start = false
osd class update on start = false
osd data = {r}/osd/$name
osd journal = {r}/osd/$name/journal
"""
