"""`cephmaint serve` under viewers while a maintenance runs: time to first byte of its pages.

On one default sandbox with a worker, `cephmaint serve` runs on a free port with a viewer
user; a replacement of node2 runs through the command line (the technician's confirmation
given once asked). Meanwhile VIEWERS threads, each signed in with its own session, load
the fleet page and the maintenance's page, then wait a second, over and over: a bounded
load from the same machine (2 cores share the sandbox, the worker, the server and the
viewers). The same is measured with one viewer first, for comparison. For each page and
number of viewers: requests, errors, and the time to first byte (requests' `elapsed`,
the time until the answer's headers arrived) at the 50th, 90th and 99th percentiles and
the worst.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.host_work import cephmaint, reference_of, sandbox_with_worker, terminate
from ceph_tasks.settings import Settings
from cephmaint.web.accounts import Account, Role, write_accounts
from cephmaint.web.passwords import hash_password
from dyrygent.states import NodeState
from workflows.engine import processor_of, worker_app

PASSWORD = "bench-viewer-password"


@dataclass
class Samples:
    """The times to first byte of one page under one load, in seconds, and the errors."""

    times: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float | None) -> None:
        """One answer's time (None: an error)."""
        with self.lock:
            if seconds is None:
                self.errors += 1
            else:
                self.times.append(seconds)


@contextmanager
def page(env: dict[str, str], workdir: Path) -> Iterator[str]:
    """`cephmaint serve` with one viewer, on a free port; its URL."""
    users = workdir / "users.yaml"
    write_accounts(users, [Account("viewer", Role.VIEWER, hash_password(PASSWORD))])
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "cephmaint.cli", "serve", "--port",
                             str(port)], env={**env, "CEPHMAINT_USERS": str(users)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/login", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("cephmaint serve did not come up")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_in(url: str) -> requests.Session:
    """A session of the viewer, signed in through the login form."""
    session = requests.Session()
    form = session.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    answer = session.post(f"{url}/login", timeout=10, data={
        "user": "viewer", "password": PASSWORD, "csrf": token[1] if token else ""})
    if not answer.ok or "/login" in answer.url:
        raise SystemExit(f"the viewer could not sign in: {answer.status_code}")
    return session


def load(url: str, paths: dict[str, str], viewers: int, seconds: float
         ) -> dict[str, Samples]:
    """viewers threads loading each path then waiting a second, for seconds."""
    samples = {name: Samples() for name in paths}
    stop = time.monotonic() + seconds
    sessions = [signed_in(url) for _ in range(viewers)]

    def view(session: requests.Session) -> None:
        while time.monotonic() < stop:
            for name, path in paths.items():
                try:
                    answer = session.get(f"{url}{path}", timeout=30)
                    samples[name].add(answer.elapsed.total_seconds() if answer.ok else None)
                except requests.RequestException:
                    samples[name].add(None)
            time.sleep(1.0)
    threads = [threading.Thread(target=view, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


def row(page_name: str, viewers: int, what: str, s: Samples) -> str:
    """One line of the table."""
    if not s.times:
        return f"| {page_name} | {viewers} | {what} | 0 | {s.errors} | - | - | - | - |"
    ms = sorted(t * 1000 for t in s.times)
    cut = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return (f"| {page_name} | {viewers} | {what} | {len(ms)} | {s.errors} | {cut[49]:.0f} | "
            f"{cut[89]:.0f} | {cut[98]:.0f} | {ms[-1]:.0f} |")


def main() -> int:
    """Measure the pages with one and with VIEWERS viewers during a replacement."""
    parser = argparse.ArgumentParser(prog="python -m bench.serve_load", description=__doc__)
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="how long each load lasts")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, terminate)
    lines = ["| page | viewers | maintenance | requests | errors | p50 ms | p90 ms | p99 ms "
             "| worst ms |", "|---|---|---|---|---|---|---|---|---|"]
    with sandbox_with_worker() as (_, env), \
            tempfile.TemporaryDirectory(prefix="cephmaint-serve-load-") as workdir:
        env = {**env, "CEPHMAINT_STATE_HOME": os.path.join(workdir, "state")}
        with page(env, Path(workdir)) as url:
            reference = reference_of(cephmaint(env, "run", "replace", "node2"))
            paths = {"fleet": "/", "maintenance": f"/maintenances/{reference}"}
            settings = Settings(broker_url=env["CEPHMAINT_BROKER_URL"],
                                redis_url=env["CEPHMAINT_REDIS_URL"])
            handle = processor_of(worker_app(settings, name="bench-client")).handle(reference)
            for viewers in (1, args.viewers):
                status = handle.status()
                done = status.counts.get(NodeState.SUCCESS, 0)
                state = f"{status.state.lower()}, {done}/{status.total} steps done at start"
                for name, s in load(url, paths, viewers, args.seconds).items():
                    lines.append(row(name, viewers, state, s))
            while handle.node("confirm-node2")["state"] == NodeState.PENDING:
                time.sleep(1)
            cephmaint(env, "confirm", reference, "--by", "bench")
            cephmaint(env, "status", reference, "--follow")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
