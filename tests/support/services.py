"""Real services for tests: a private Redis on a free port, and the machine's RabbitMQ."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
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
    (the port then speaks TLS only).
    """

    def __init__(self, workdir: Path, user: tuple[str, str] | None = None,
                 tls: TlsFiles | None = None) -> None:
        self.workdir, self.port, self.user, self.tls = workdir, free_port(), user, tls
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """Its URL (database 0), with the user's password and the CA to trust."""
        login = f"{self.user[0]}:{self.user[1]}@" if self.user else ""
        if self.tls is None:
            return f"redis://{login}127.0.0.1:{self.port}/0"
        return (f"rediss://{login}127.0.0.1:{self.port}/0"
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
            [binary, *self._options(), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.workdir),
             "--logfile", str(self.workdir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.proc = proc
        poll(lambda: port_open("127.0.0.1", self.port), timeout=10, interval=0.05,
             give_up=lambda: proc.poll() is not None,
             what=lambda _: (f"redis-server on port {self.port} to start "
                             f"({process_state(proc)}); see {self.workdir}/redis.log"))

    def stop(self) -> None:
        """Stop it as its service manager would (SIGTERM: the append-only file is synced)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


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
