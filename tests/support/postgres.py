"""A real PostgreSQL for tests: the machine's server, or a private one from Debian's packages.

The machine's server on 127.0.0.1:5432 is used where one answers (each test session gets
a database of its own in it); otherwise a throw-away cluster is made with Debian's initdb
in a folder of its own and started on a free port (as the postgres user when run as root:
PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.support.services import free_port, port_open

#: Where the machine's server is looked for, and the role tried there (Debian's trust).
MACHINE = ("127.0.0.1", 5432, "postgres")


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: scripts/bootstrap.sh "
                           "installs Debian's postgresql package")
    return found[-1]


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def _private_server() -> Iterator[tuple[str, int, str]]:
    # A folder of its own in /tmp: the postgres user cannot enter the test's (mode 0700).
    workdir, port = Path(tempfile.mkdtemp(prefix="cephmaint-postgres-")), free_port()
    root = os.geteuid() == 0
    if root:
        shutil.chown(workdir, "postgres")
    user = "postgres" if root else os.environ.get("USER", "postgres")
    data = workdir / "data"
    try:
        subprocess.run(_as_owner([_bin("initdb"), "-D", str(data), "-A", "trust", "-U",
                                  user]), check=True, capture_output=True)
        options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(data), "-o", options, "-w",
                                  "-l", str(workdir / "postgres.log"), "start"]),
                       check=True, capture_output=True)
        yield "127.0.0.1", port, user
    finally:
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on a real server; yields its SQLAlchemy URL, drops it after."""
    with postgres_server() as (host, port, user):
        name = f"cephmaint_test_{uuid.uuid4().hex[:12]}"
        admin = f"host={host} port={port} user={user} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://{user}@{host}:{port}/{name}"
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_server() -> Iterator[tuple[str, int, str]]:
    """The machine's server where it answers, else a private one."""
    host, port, user = MACHINE
    if port_open(host, port):
        yield host, port, user
    else:
        with _private_server() as server:
            yield server
