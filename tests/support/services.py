"""Real services for tests: a private Redis on a free port, and the machine's RabbitMQ."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.poll import poll
from tests.support.tls import TlsFiles


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on host right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Tell whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def process_state(proc: subprocess.Popen[bytes]) -> str:
    """How a child process stands, for a failure message: still running, or its exit code."""
    code = proc.poll()
    return "still running" if code is None else f"exited with {code}"


class RedisServer:
    """A throw-away redis-server on a free loopback port, with an append-only file (as
    maintenances require of their state Redis), that a test may stop and start again.

    user: an ACL user (name, password) that clients must log in as, the default user
    off; tls: the server's certificate and key, and the CA clients check them against
    (the port then speaks TLS only); addresses: the loopback addresses it listens on (the
    first is its URL's), so that the processes of each admin host a test plays can reach it
    by an address of their own.
    """

    def __init__(self, workdir: Path, user: tuple[str, str] | None = None,
                 tls: TlsFiles | None = None, options: tuple[str, ...] = (),
                 addresses: tuple[str, ...] = ("127.0.0.1",)) -> None:
        self.workdir, self.port, self.user, self.tls = workdir, free_port(), user, tls
        self.options, self.addresses = options, addresses
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """Its URL (database 0), with the user's password and the CA to trust."""
        return self.url_at(self.addresses[0])

    def url_at(self, address: str) -> str:
        """Its URL by one of the addresses it listens on."""
        login = f"{self.user[0]}:{self.user[1]}@" if self.user else ""
        if self.tls is None:
            return f"redis://{login}{address}:{self.port}/0"
        return (f"rediss://{login}{address}:{self.port}/0"
                f"?ssl_cert_reqs=required&ssl_ca_certs={self.tls.ca}")

    def _options(self) -> list[str]:
        options = []
        if self.user is not None:
            name, password = self.user
            options += ["--user", "default", "off", "--user", name, "on", f">{password}",
                        "~*", "&*", "+@all"]
        if self.tls is None:
            return [*options, "--port", str(self.port)]
        return [*options, "--port", "0", "--tls-port", str(self.port),
                "--tls-cert-file", str(self.tls.cert), "--tls-key-file", str(self.tls.key),
                "--tls-ca-cert-file", str(self.tls.ca), "--tls-auth-clients", "no"]

    def start(self) -> None:
        """Start it (again: same port, same files) and wait until it answers."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        proc = subprocess.Popen(
            [binary, *self._options(), *self.options, "--bind", *self.addresses, "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.workdir),
             "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.proc = proc
        poll(lambda: port_open(self.addresses[0], self.port), timeout=10, interval=0.05,
             give_up=lambda: proc.poll() is not None,
             what=lambda _: (f"redis-server on port {self.port} to start "
                             f"({process_state(proc)}); see {self.workdir}/redis.log"))

    def stop(self, kill: bool = False) -> None:
        """Stop it as its service manager would (SIGTERM: the append-only file is synced),
        or kill it as a crash would (SIGKILL)."""
        if self.proc is not None and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


MASTER_NAME = "cephmaint"


class SentinelGroup:
    """A primary, two replicas and three sentinels (Debian's redis-sentinel) on loopback.

    Each data node takes writes only while a replica follows it (min-replicas-to-write 1),
    so a write the primary took has a second copy. Two replicas, so that the promoted one
    has a replica at once: with one, it refuses writes until the old primary is back, and
    a Celery worker reconnecting meanwhile exits on that refusal (NOREPLICAS). The
    sentinels fail over one second after the primary stops answering.
    """

    # No 5 s wait before a full sync (Redis's default, to batch replicas): tests start
    # the group and rejoin a node often.
    OPTIONS = ("--min-replicas-to-write", "1", "--min-replicas-max-lag", "10",
               "--repl-diskless-sync-delay", "0")

    def __init__(self, workdir: Path) -> None:
        first = RedisServer(workdir / "node0", options=self.OPTIONS)
        self.nodes = [first, *(RedisServer(workdir / f"node{n}", options=(
            *self.OPTIONS, "--replicaof", "127.0.0.1", str(first.port))) for n in (1, 2))]
        self.workdir = workdir
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        """The group's URL, in cephmaint's form (database 0)."""
        return (";".join(f"sentinel://127.0.0.1:{port}/0" for port in self.sentinel_ports)
                + f"?master_name={MASTER_NAME}")

    def start(self) -> None:
        """Start the data nodes and the sentinels; wait until the replicas are in sync."""
        for node in self.nodes:
            node.start()
        binary = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
        for port in self.sentinel_ports:
            conf = self.workdir / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.workdir}\n"
                f"logfile {self.workdir}/sentinel-{port}.log\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.nodes[0].port} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                f"sentinel failover-timeout {MASTER_NAME} 5000\n")
            self.sentinels.append(subprocess.Popen(
                [binary, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        for port in self.sentinel_ports:
            poll(lambda port=port: port_open("127.0.0.1", port), timeout=10, interval=0.05,
                 what=f"redis-sentinel on port {port}")
        poll(lambda: self._replicas_of(self.primary()) == 2, timeout=30, interval=0.1,
             what="the replicas in sync with the primary")

    def primary(self) -> RedisServer:
        """The data node the sentinels name as the primary now."""
        answer = self._ask_sentinel("SENTINEL", "get-master-addr-by-name", MASTER_NAME)
        port = int(answer.split()[1])
        return next(node for node in self.nodes if node.port == port)

    def fail_over(self) -> float:
        """Kill the primary (SIGKILL), wait for the sentinels to promote a replica, start
        the old primary again (it rejoins as a replica); seconds until the promotion."""
        old = self.primary()
        began = time.monotonic()
        old.stop(kill=True)
        poll(lambda: self.primary() is not old, timeout=60, interval=0.1,
             what="the sentinels to promote the replica")
        promoted = time.monotonic() - began
        # Back as its service manager would start it now: following the new primary (the
        # sentinels would convert it too, after their next look at it, up to 10 s later).
        old.options = (*self.OPTIONS, "--replicaof", "127.0.0.1", str(self.primary().port))
        old.start()
        poll(lambda: self._replicas_of(self.primary()) == 2, timeout=60, interval=0.2,
             what="the old primary back as a replica")
        return promoted

    def stop(self) -> None:
        """Stop the sentinels and the data nodes."""
        for proc in self.sentinels:
            proc.terminate()
        for proc in self.sentinels:
            proc.wait(10)
        self.sentinels = []
        for node in self.nodes:
            node.stop()

    def _ask_sentinel(self, *command: str) -> str:
        binary = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        for port in self.sentinel_ports:
            done = subprocess.run([binary, "-p", str(port), *command], capture_output=True,
                                  text=True, timeout=10, check=False)
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout
        raise RuntimeError(f"no sentinel answered {' '.join(command)}")

    def _replicas_of(self, node: RedisServer) -> int:
        binary = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        done = subprocess.run([binary, "-p", str(node.port), "INFO", "replication"],
                              capture_output=True, text=True, timeout=10, check=False)
        fields = dict(line.split(":", 1) for line in done.stdout.splitlines() if ":" in line)
        return sum(1 for key, value in fields.items()
                   if key.startswith("slave") and "state=online" in value)


@contextmanager
def sentinel_group(workdir: Path) -> Iterator[SentinelGroup]:
    """Run a Sentinel group under workdir; stop it all at the end."""
    group = SentinelGroup(workdir)
    group.start()
    try:
        yield group
    finally:
        group.stop()


@contextmanager
def private_redis(workdir: Path) -> Iterator[str]:
    """Run a throw-away redis-server on a free loopback port; yield its URL."""
    server = RedisServer(workdir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def rabbitmq_url() -> str | None:
    """The machine's RabbitMQ URL, or None when none listens on 127.0.0.1:5672."""
    url = os.environ.get("CEPHMAINT_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
    return url if port_open("127.0.0.1", 5672) else None
