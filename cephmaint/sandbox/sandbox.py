"""`sandbox up | status | down | verify`: a throw-away Ceph cluster, SSH hosts and Redis."""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ceph_tasks.ceph.models.versions import Release
from ceph_tasks.decisions.weights import size_weight
from ceph_tasks.settings import DEFAULT_RABBITMQ, DEFAULT_SANDBOX_CACHE, Settings
from cephmaint.errors import SandboxError
from cephmaint.sandbox import cluster, sshd
from cephmaint.sandbox.data import recorded_objects, verify_pools, write_pools
from cephmaint.sandbox.inventory_file import write_sandbox_inventory
from cephmaint.sandbox.layout import (
    FIRST_HOST,
    MON_PORT,
    SSH_PORT,
    Layout,
    make_layout,
    render_ceph_conf,
)
from cephmaint.sandbox.pools import create_filesystem, create_pools
from cephmaint.sandbox.procs import Daemon, processes_under, terminate_all, wait_for
from cephmaint.sandbox.registry import OsdRecord, Registry
from cephmaint.sandbox.release import ensure_chroot, forget, host_release
from cephmaint.sandbox.topology import Topology, load_topology


def sandbox_root(name: str, home: Path) -> Path:
    """Where the sandbox called name keeps everything it has."""
    return home / name


def _bindable(address: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def choose_subnet(rng: random.Random, hosts: int) -> str:
    """A 127.A.B subnet whose hosts' mon and ssh ports are free, so sandboxes never collide."""
    for _ in range(200):
        subnet = f"127.{rng.randint(100, 199)}.{rng.randint(1, 254)}"
        addresses = [f"{subnet}.{FIRST_HOST + i}" for i in range(hosts)]
        if all(_bindable(a, MON_PORT) and _bindable(a, SSH_PORT) for a in addresses):
            return subnet
    raise SandboxError("found no free loopback subnet for the sandbox")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rabbitmq_url(url: str) -> str | None:
    """url when a RabbitMQ listens on the machine's standard port, else None."""
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=0.5).close()
    except OSError:
        return None
    return url


@dataclass
class Report:
    """What `up` and `status` tell about a sandbox."""

    name: str
    root: Path
    health: str
    osds_up: int
    osds_in: int
    osds_total: int
    pgs: dict[str, int]
    objects: int
    layout: Layout
    rabbitmq_url: str | None
    checks: dict[str, str] = field(default_factory=dict)

    def render(self) -> str:
        """A readable summary with the address of everything."""
        lines = [
            f"sandbox {self.name}: {self.health}",
            f"  root        {self.root}",
            f"  release     {self.layout.release}"
            + (f" (daemons in {self.layout.chroot})" if self.layout.chroot else ""),
            f"  ceph.conf   {self.layout.conf_path}",
            "  monitors    " + ", ".join(f"v1:{a}:{MON_PORT}"
                                           for a in self.layout.mon_addresses),
            f"  osds        {self.osds_up} up, {self.osds_in} in, {self.osds_total} total",
            "  pgs         " + ", ".join(f"{n} {s}" for s, n in sorted(self.pgs.items())),
            f"  pools       {self.objects} objects with recorded checksums in "
            + ", ".join(p.name for p in self.layout.shape().pools),
            f"  redis       {self.layout.redis_url}",
            f"  rabbitmq    {self.rabbitmq_url or 'none on this machine'}",
            f"  inventory   {self.layout.inventory_path}",
            f"  ssh key     {self.layout.ssh_key_path}",
            f"  known_hosts {self.layout.known_hosts_path}",
        ]
        registry = Registry(self.root)
        for host in self.layout.hosts:
            osds = [r.osd_id for r in registry.osds() if r.host == host.name]
            lines.append(
                f"  host {host.name}  ssh root@{host.address} -p {host.ssh_port}  "
                f"osds {osds or 'none (spare)'}"
            )
        lines += [f"  check {code}: {msg}" for code, msg in self.checks.items()]
        return "\n".join(lines)


class Sandbox:
    """A sandbox on this machine, known by its root folder."""

    def __init__(self, root: Path, rabbitmq: str = DEFAULT_RABBITMQ,
                 cache: Path = DEFAULT_SANDBOX_CACHE) -> None:
        self.root = root
        self.registry = Registry(root)
        self.rabbitmq = rabbitmq
        self.cache = cache

    @classmethod
    def named(cls, name: str, settings: Settings) -> Sandbox:
        """The sandbox called name under the settings' sandbox home."""
        return cls(sandbox_root(name, settings.sandbox_home), settings.rabbitmq_url,
                   settings.sandbox_cache)

    @property
    def exists(self) -> bool:
        """Tell whether this sandbox was created (and not yet taken down)."""
        return (self.root / "layout.json").exists()

    def layout(self) -> Layout:
        """The layout recorded when the sandbox was created."""
        try:
            return Layout.from_json((self.root / "layout.json").read_text())
        except FileNotFoundError as e:
            raise SandboxError(f"no sandbox at {self.root}: run `cephmaint sandbox up`") from e

    # -- up ---------------------------------------------------------------------------------

    def up(self, redis_url: str | None = None, timeout: float = 120,
           topology: Topology | None = None, release: Release | None = None) -> Report:
        """Create the sandbox (default topology, the host's release) or start what is not
        running; until HEALTH_OK.

        A sandbox that exists keeps the topology and release it was made with.
        """
        if self.exists:
            layout = self.layout()
        else:
            layout = self._create(redis_url, topology or load_topology("default"),
                                  release or host_release())
        for daemon in self._service_daemons(layout):
            daemon.start()
        mons, mgrs, mdss = (
            cluster.host_daemons(layout, kind, self.registry.service_hosts(
                kind, [h.name for h in layout.daemon_hosts(kind)]))
            for kind in ("mon", "mgr", "mds"))
        for daemon in mons:
            daemon.start()
        conn = self._connect(layout, mons)
        try:
            cluster.write_key(conn, cluster.CEPHMAINT_CLIENT, cluster.CEPHMAINT_CAPS,
                              layout.cephmaint_keyring_path)
            for daemon in (*mgrs, *mdss):
                cluster.write_daemon_key(conn, layout, daemon.name)
                daemon.start()
            self._create_initial_osds(conn, layout)
            osds = self._osd_daemons(layout)
            for daemon in osds:
                daemon.start()
            watch = [*mons, *mgrs, *mdss, *osds]
            wait_for(lambda: _osds_up(conn) == len(osds), timeout,
                     f"{len(osds)} OSDs to come up", watch=watch)
            if not layout.checksums_path.exists():
                self._write_data(conn, layout, watch=watch, timeout=timeout)
            health = _Health(conn)
            wait_for(health, timeout, "HEALTH_OK with all PGs active+clean",
                     watch=watch, interval=0.5, last_seen=health)
        finally:
            conn.close()
        self.refresh_inventory()
        return self.status()

    def refresh_inventory(self) -> Path:
        """Write the sandbox's inventory anew from its hosts and the OSDs CRUSH holds now.

        What an operator does after hardware changed: a replaced host's new OSDs listed, a
        retired host's gone. Returns the file's path.
        """
        layout = self.layout()
        with cluster.connect(layout, timeout=10) as conn:
            tree = conn.command("osd tree")
        by_id = {n["id"]: n for n in tree["nodes"]}
        live = {child: node["name"] for node in tree["nodes"] if node["type"] == "host"
                for child in node.get("children", []) if child in by_id}
        write_sandbox_inventory(layout, self.registry, live)
        return layout.inventory_path

    def _create(self, redis_url: str | None, topology: Topology, release: Release) -> Layout:
        if any(self.root.iterdir() if self.root.exists() else ()):
            raise SandboxError(f"{self.root} exists but holds no sandbox: remove it first")
        chroot = None if release == host_release() else ensure_chroot(self.cache, release)
        rng = random.Random()
        managed = redis_url is None
        layout = make_layout(
            name=self.root.name, root=self.root, fsid=str(uuid.uuid4()),
            subnet=choose_subnet(rng, len(topology.hosts)),
            redis_url=redis_url or f"redis://127.0.0.1:{free_port()}/0",
            redis_managed=managed, python=sys.executable, topology=topology,
            release=release.codename, chroot=None if chroot is None else str(chroot),
        )
        self.root.mkdir(parents=True, exist_ok=True)
        layout.conf_path.write_text(render_ceph_conf(layout))
        cluster.bootstrap_monitor(layout)
        sshd.create_client_key(layout)
        for host in layout.hosts:
            sshd.configure_host(layout, host)
        # Written last: a root with layout.json is a complete sandbox that `up` can resume.
        (self.root / "layout.json").write_text(layout.to_json())
        return layout

    def service(self, name: str) -> Daemon:
        """A daemon of the sandbox ("redis", "sshd.HOST", "mon.LABEL"), to stop and start."""
        layout = self.layout()
        daemons = self._service_daemons(layout) + [
            d for kind in ("mon", "mgr", "mds") for d in cluster.host_daemons(layout, kind)]
        for daemon in daemons:
            if daemon.name == name:
                return daemon
        raise SandboxError(f"the sandbox has no daemon {name!r} (it has "
                           f"{', '.join(d.name for d in daemons)})")

    def _service_daemons(self, layout: Layout) -> list[Daemon]:
        sshd.ensure_privsep_dir()
        daemons = [sshd.sshd_daemon(layout, h) for h in layout.hosts]
        if layout.redis_managed:
            port = layout.redis_url.rsplit(":", 1)[1].split("/")[0]
            (self.root / "redis").mkdir(exist_ok=True)
            daemons.append(Daemon(
                # The workflows' state survives a restart of it: an append-only file,
                # synced every second (what maintenances require of their state Redis).
                "redis", ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "yes", "--appendfsync", "everysec",
                          "--dir", str(self.root / "redis")],
                self.root / "run", self.root / "log" / "redis.log"))
        return daemons

    @staticmethod
    def _connect(layout: Layout, mons: list[Daemon], timeout: float = 30) -> cluster.Mon:
        """Connect once the freshly started monitors answer; fail with a log if one died."""
        deadline = time.monotonic() + timeout
        while True:
            for mon in mons:
                mon.check()
            try:
                return cluster.Mon(layout.conf_path, timeout=5)
            except Exception as e:  # librados' own error classes while the mon starts
                if time.monotonic() > deadline:
                    raise SandboxError(f"the monitor does not answer: {e}") from e
                time.sleep(0.3)

    def _create_initial_osds(self, conn: cluster.Mon, layout: Layout) -> None:
        if self.registry.osds():
            return
        wanted = [(h, d) for h in layout.hosts for d in h.devices[: h.initial_osds]]
        allocated = [cluster.allocate_osd(conn) for _ in wanted]
        for osd_id, _ in allocated:
            cluster.write_daemon_key(conn, layout, f"osd.{osd_id}")
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            list(pool.map(lambda w, a: cluster.make_osd_store(layout, a[0], a[1], w[0]),
                          wanted, allocated))
        for (host, device), (osd_id, osd_uuid) in zip(wanted, allocated, strict=True):
            # Weighed as Ceph weighs a new OSD: its disk's size in TiB (1.0 by default).
            cluster.place_osd(conn, osd_id, host, size_weight(device.size))
            self.registry.put_osd(OsdRecord(osd_id, host.name, device.path, osd_uuid))

    def _osd_daemons(self, layout: Layout) -> list[Daemon]:
        return [cluster.osd_daemon(layout, r.osd_id, r.host)
                for r in self.registry.osds() if r.enabled]

    def _write_data(self, conn: cluster.Mon, layout: Layout, watch: list[Daemon],
                    timeout: float) -> None:
        topology = layout.shape()
        create_pools(conn, topology)
        create_filesystem(conn, topology)
        wait_for(lambda: _pgs_clean(conn), timeout, "the pools' PGs to be active+clean",
                 watch=watch, interval=0.3)
        write_pools(conn.open_ioctx, topology, layout.checksums_path)

    # -- status, verify, down ---------------------------------------------------------------

    def status(self) -> Report:
        """Ask the running cluster how it is."""
        layout = self.layout()
        with cluster.connect(layout, timeout=10) as conn:
            st = conn.command("status")
        osdmap = st["osdmap"].get("osdmap", st["osdmap"])  # older releases nest it
        pgs = {s["state_name"]: s["count"] for s in st["pgmap"].get("pgs_by_state", [])}
        checks = {code: c["summary"]["message"] for code, c in st["health"]["checks"].items()}
        objects = sum(len(sums) for sums in recorded_objects(layout.checksums_path).values())
        return Report(layout.name, self.root, st["health"]["status"], osdmap["num_up_osds"],
                      osdmap["num_in_osds"], osdmap["num_osds"], pgs, objects, layout,
                      rabbitmq_url(self.rabbitmq), checks)

    def verify(self) -> int:
        """Prove every recorded object of every pool is there and intact; how many in all."""
        layout = self.layout()
        with cluster.connect(layout, timeout=10) as conn:
            return verify_pools(conn.open_ioctx, layout.checksums_path)

    def down(self) -> None:
        """Stop every process of the sandbox and remove its folder."""
        if not self.root.exists():
            return
        chroot = self.layout().chroot if self.exists else None
        run_dir = self.root / "run"
        daemons: dict[str, int] = {}
        for pid_file in run_dir.glob("*.pid") if run_dir.exists() else []:
            with contextlib.suppress(ValueError):
                daemons[pid_file.stem] = int(pid_file.read_text().strip())
        # The OSDs first, all at once, while the monitors can still take their "mark me
        # down": an OSD whose monitors are gone waits osd_mon_shutdown_timeout (5 s) first.
        terminate_all([pid for name, pid in daemons.items() if name.startswith("osd.")], 10)
        terminate_all([pid for name, pid in daemons.items() if not name.startswith("osd.")], 10)
        # Anything else still naming the root (a daemon started by hand, a stray child).
        terminate_all(processes_under(self.root), timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)
        if chroot is not None:
            forget(chroot, self.root)


def _osds_up(conn: cluster.Mon) -> int:
    st = conn.command("status")
    osdmap = st["osdmap"].get("osdmap", st["osdmap"])
    return int(osdmap["num_up_osds"])


def _pgs_clean(conn: cluster.Mon) -> bool:
    pgmap = conn.command("status")["pgmap"]
    clean = sum(s["count"] for s in pgmap.get("pgs_by_state", [])
                if s["state_name"] == "active+clean")
    return bool(pgmap["num_pgs"]) and clean == pgmap["num_pgs"]


class _Health:
    """A condition for wait_for that remembers what it saw last, for the timeout message."""

    #: Healthy looks in a row needed: right after an OSD (re)starts, status can still show
    #: every PG clean for a moment before peering begins.
    LOOKS = 3

    def __init__(self, conn: cluster.Mon) -> None:
        self.conn = conn
        self.last = "no status yet"
        self.streak = 0

    def __call__(self) -> bool:
        st = self.conn.command("status")
        states = ", ".join(f"{s['count']} {s['state_name']}"
                           for s in st["pgmap"].get("pgs_by_state", []))
        checks = ", ".join(sorted(st["health"].get("checks", {})))
        self.last = f"{st['health']['status']} [{checks}], PGs: {states or 'none'}"
        healthy = st["health"]["status"] == "HEALTH_OK" and _pgs_clean(self.conn)
        self.streak = self.streak + 1 if healthy else 0
        return self.streak >= self.LOOKS

    def __str__(self) -> str:
        return self.last

