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


@contextmanager
def private_redis(workdir: Path) -> Iterator[str]:
    """Run a throw-away redis-server on a free loopback port; yield its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        # With an append-only file, as maintenances require of the state Redis.
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
         "--appendfsync", "everysec", "--dir", str(workdir), "--logfile",
         str(workdir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        poll(lambda: port_open("127.0.0.1", port), timeout=10, interval=0.05,
             give_up=lambda: proc.poll() is not None,
             what=lambda _: (f"redis-server on port {port} to start ({process_state(proc)}); "
                             f"see {workdir}/redis.log"))
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def rabbitmq_url() -> str | None:
    """The machine's RabbitMQ URL, or None when none listens on 127.0.0.1:5672."""
    url = os.environ.get("CEPHMAINT_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
    return url if port_open("127.0.0.1", 5672) else None
