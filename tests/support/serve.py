"""`cephmaint serve` as a process of its own, with users of each role, for the page's tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from cephmaint.web.accounts import Account, Role, write_accounts
from cephmaint.web.passwords import hash_password
from tests.support.poll import poll
from tests.support.services import free_port, process_state
from tests.support.worker import ROOT, stop

#: One user per role, named after it; the password is the same for all.
PASSWORD = "a-long-enough-password"
TOKEN = "metrics-bearer-token-of-the-tests"


@dataclass(frozen=True)
class Served:
    """A running `cephmaint serve`: its URL and its address for Prometheus."""

    url: str
    address: str


@contextmanager
def serving(workdir: Path, env: Mapping[str, str]) -> Iterator[Served]:
    """`cephmaint serve` on a free loopback port, with a viewer, a technician and an
    operator, /metrics behind TOKEN; stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    users = workdir / "users.yaml"
    write_accounts(users, [Account(r.value, r, hash_password(PASSWORD)) for r in Role])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cephmaint.cli", "serve", "--port", str(port)], cwd=ROOT,
            env={**os.environ, **env, "CEPHMAINT_USERS": str(users),
                 "CEPHMAINT_METRICS_TOKEN": TOKEN, "CEPHMAINT_PUBLIC_URL": url},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        poll(lambda: _answers(url), timeout=60, interval=0.2,
             give_up=lambda: proc.poll() is not None,
             what=lambda _: f"cephmaint serve up ({process_state(proc)}; log {log})")
        yield Served(url, f"127.0.0.1:{port}")
    finally:
        stop(proc)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/login", timeout=1).status_code == 200
    except requests.RequestException:
        return False
