"""A daemon's admin socket, asked directly: what `ceph daemon NAME COMMAND` prints."""

from __future__ import annotations

import json
import socket
import struct
from pathlib import Path
from typing import Any


def ask(path: Path, prefix: str, timeout: float = 5) -> Any:
    """Send one command to the admin socket at path; return its JSON answer.

    The protocol: the command as JSON ending in a NUL byte; the answer as a 4-byte
    big-endian length, then that many bytes. Spoken directly, a look costs a millisecond
    rather than a `ceph` process, so a sampler sees short-lived states.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(json.dumps({"prefix": prefix, "format": "json"}).encode() + b"\0")
        size = struct.unpack(">I", _read(s, 4))[0]
        return json.loads(_read(s, size))


def _read(s: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = s.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"admin socket closed after {len(data)} of {size} bytes")
        data += chunk
    return data
