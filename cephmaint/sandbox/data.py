"""Objects with recorded checksums in every pool, and the check that none was lost."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.bindings import load_rados
from cephmaint.errors import SandboxError, VerifyFailed
from cephmaint.sandbox.layout import PG_LOG_MAX_ENTRIES
from cephmaint.sandbox.topology import PgLog, Topology

#: The checksums of a pool's objects, by object name.
Sums = dict[str, str]
#: Writes each object gets after its creation when PG logs are short. A PG whose log was
#: never trimmed (log_start 0'0: fewer writes than the log keeps, up to max entries + 1 seen
#: on the sandbox) lets a new OSD catch up from the log: the PG changes its acting set at
#: once and *recovers*, whatever `norebalance` or an upmap pin says. A PG on a production
#: cluster has written far more than its log keeps and *backfills*; so must the sandbox's.
HISTORY = PG_LOG_MAX_ENTRIES + 1


def write_objects(ioctx: Any, count: int, largest: int, seed: int = 0) -> Sums:
    """Write count objects of random bytes, up to largest bytes each; their SHA-256."""
    rng = random.Random(seed)
    sums: Sums = {}
    for i in range(count):
        name = f"obj-{i:05d}"
        body = rng.randbytes(rng.randint(max(1, largest // 16), max(1, largest)))
        ioctx.write_full(name, body)
        sums[name] = hashlib.sha256(body).hexdigest()
    return sums


def write_history(ioctx: Any, names: Iterable[str], writes: int) -> None:
    """Set an xattr on every object writes times (each a PG log entry; the data unchanged)."""
    pending = [ioctx.aio_setxattr(name, "cephmaint.history", str(n).encode())
               for n in range(writes) for name in names]
    for completion in pending:
        completion.wait_for_complete()
        if completion.get_return_value() < 0:
            raise SandboxError(f"writing the sandbox's PG history failed: "
                               f"{completion.get_return_value()}")


def write_pools(open_ioctx: Callable[[str], Any], topology: Topology, checksums: Path) -> int:
    """Write every pool's objects and record their checksums by pool; how many in all."""
    recorded: dict[str, Sums] = {}
    for seed, pool in enumerate(topology.pools):
        ioctx = open_ioctx(pool.name)
        try:
            recorded[pool.name] = write_objects(ioctx, pool.objects, int(topology.object_size),
                                                seed)
            if topology.pg_log == PgLog.SHORT:
                write_history(ioctx, recorded[pool.name], HISTORY)
        finally:
            ioctx.close()
    checksums.write_text(json.dumps(recorded, indent=0, sort_keys=True))
    return sum(len(sums) for sums in recorded.values())


def recorded_objects(checksums: Path) -> dict[str, Sums]:
    """The checksums written, by pool; empty before any data was written."""
    try:
        data: dict[str, Sums] = json.loads(checksums.read_text())
    except FileNotFoundError:
        return {}
    return data


def verify_pools(open_ioctx: Callable[[str], Any], checksums: Path) -> int:
    """Read back every recorded object of every pool; raise VerifyFailed naming the bad ones."""
    recorded = recorded_objects(checksums)
    if not recorded:
        raise SandboxError(f"no checksums recorded at {checksums}: was the data written?")
    missing: list[str] = []
    corrupt: list[str] = []
    for pool, sums in recorded.items():
        ioctx = open_ioctx(pool)
        try:
            lost, changed = _verify(ioctx, sums)
        finally:
            ioctx.close()
        missing += [f"{pool}/{name}" for name in lost]
        corrupt += [f"{pool}/{name}" for name in changed]
    total = sum(len(sums) for sums in recorded.values())
    if missing or corrupt:
        raise VerifyFailed(missing, corrupt, total)
    return total


def _verify(ioctx: Any, sums: Sums) -> tuple[list[str], list[str]]:
    not_found = load_rados().ObjectNotFound
    missing, corrupt = [], []
    for name, expected in sums.items():
        try:
            size, _ = ioctx.stat(name)
            body = ioctx.read(name, length=max(size, 1))
        except not_found:
            missing.append(name)
            continue
        if hashlib.sha256(body).hexdigest() != expected:
            corrupt.append(name)
    return missing, corrupt
