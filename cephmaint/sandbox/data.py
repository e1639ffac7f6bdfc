"""Objects with recorded checksums in the data pool, and the check that none was lost."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from ceph_tasks.ceph.bindings import load_rados
from cephmaint.errors import SandboxError, VerifyFailed

OBJECT_COUNT = 400


def write_objects(ioctx: Any, checksums: Path, count: int = OBJECT_COUNT, seed: int = 0) -> int:
    """Write count objects of 1-16 KiB of random bytes; record their SHA-256; return count."""
    rng = random.Random(seed)
    sums = {}
    for i in range(count):
        name = f"obj-{i:05d}"
        body = rng.randbytes(rng.randint(1024, 16384))
        ioctx.write_full(name, body)
        sums[name] = hashlib.sha256(body).hexdigest()
    checksums.write_text(json.dumps(sums, indent=0, sort_keys=True))
    return count


def verify_objects(ioctx: Any, checksums: Path) -> int:
    """Read back every recorded object; raise VerifyFailed naming missing or changed ones."""
    try:
        sums: dict[str, str] = json.loads(checksums.read_text())
    except FileNotFoundError as e:
        raise SandboxError(f"no checksums recorded at {checksums}: was the data written?") from e
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
    if missing or corrupt:
        raise VerifyFailed(missing, corrupt, len(sums))
    return len(sums)
