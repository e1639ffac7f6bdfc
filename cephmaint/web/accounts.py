"""The users file of `cephmaint serve`: each user's name, role and argon2 password hash.

A YAML list, kept by `cephmaint users set|remove` (mode 0600, replaced atomically):

    - name: alice
      role: operator
      password_hash: $argon2id$v=19$m=65536,t=3,p=4$...

A viewer sees the pages; a technician also confirms swaps; an operator also controls the
workflows (pause, resume, cancel, retry, skip). The server reads the file again whenever
it changes, so a role changed or a user removed counts at the next request.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from ceph_tasks.errors import ConfigurationError
from cephmaint.web.passwords import is_argon2_hash

#: What a user's name may be: it is shown on pages and written in logs and Redis keys.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
FIELDS = ("name", "role", "password_hash")
HEADER = ("# The users of `cephmaint serve`: edit with `cephmaint users set NAME --role ROLE`"
          " and `cephmaint users remove NAME`.\n")


class Role(StrEnum):
    """What a user may do; each role may do all that the ones before it may."""

    VIEWER = "viewer"
    TECHNICIAN = "technician"
    OPERATOR = "operator"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what needed may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


ROLES = ", ".join(r.value for r in Role)


@dataclass(frozen=True)
class Account:
    """One user of the file."""

    name: str
    role: Role
    password_hash: str = field(repr=False)

    @property
    def stamp(self) -> str:
        """A fingerprint of the password hash: a session opened before a new password
        was set carries the old one, and ends."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:32]


def check_name(name: str) -> str | None:
    """What is wrong with a user's name, or None."""
    if NAME_PATTERN.fullmatch(name):
        return None
    return (f"name {name!r} is not 1 to 64 letters, digits, '.', '_', '@' or '-' "
            "(starting with a letter or digit)")


def parse_accounts(data: Any, source: Path) -> dict[str, Account]:
    """The users of a parsed users file; a ConfigurationError names the file, entry and field."""
    if data is None:
        return {}
    if not isinstance(data, list):
        raise ConfigurationError(f"users file {source}: expected a list of users, each with "
                                 f"{', '.join(FIELDS)}; found a {type(data).__name__}")
    accounts: dict[str, Account] = {}
    entries: dict[str, int] = {}
    for number, entry in enumerate(data, 1):
        where = f"users file {source}: entry {number}"
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{where}: expected a mapping with {', '.join(FIELDS)}")
        name = entry.get("name")
        if not isinstance(name, str):
            raise ConfigurationError(f"{where}: no name")
        if (problem := check_name(name)) is not None:
            raise ConfigurationError(f"{where}: {problem}")
        where += f" ({name})"
        unknown = sorted(str(key) for key in entry if key not in FIELDS)
        if unknown:
            raise ConfigurationError(f"{where}: unknown field {', '.join(unknown)} "
                                     f"(a user has {', '.join(FIELDS)})")
        role = entry.get("role")
        if role is None:
            raise ConfigurationError(f"{where}: no role (one of {ROLES})")
        if role not in {r.value for r in Role}:
            raise ConfigurationError(f"{where}: unknown role {role!r} (one of {ROLES})")
        hashed = entry.get("password_hash")
        if not hashed:
            raise ConfigurationError(f"{where}: no password_hash (set one with "
                                     f"`cephmaint users set {name}`)")
        if not isinstance(hashed, str) or not is_argon2_hash(hashed):
            raise ConfigurationError(f"{where}: password_hash is not an argon2 hash "
                                     "($argon2id$v=19$...; set one with "
                                     f"`cephmaint users set {name}`)")
        if name in entries:
            raise ConfigurationError(f"{where}: duplicate name, entry {entries[name]} "
                                     "has it too")
        entries[name] = number
        accounts[name] = Account(name, Role(role), hashed)
    return accounts


def load_accounts(path: Path) -> dict[str, Account]:
    """The users of the file at path; a ConfigurationError says what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else str(e)
        raise ConfigurationError(f"users file {path}: cannot read it: {reason}") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark, problem = getattr(e, "problem_mark", None), getattr(e, "problem", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigurationError(f"users file {path}: not valid YAML{at}"
                                 + (f": {problem}" if problem else "")) from e
    return parse_accounts(data, path)


def dump_accounts(accounts: Iterable[Account]) -> str:
    """The users file's text for these users, sorted by name."""
    entries = [{"name": a.name, "role": a.role.value, "password_hash": a.password_hash}
               for a in sorted(accounts, key=lambda a: a.name)]
    return HEADER + (yaml.safe_dump(entries, sort_keys=False) if entries else "[]\n")


def write_accounts(path: Path, accounts: Iterable[Account]) -> None:
    """Replace the users file at once (mode 0600, owner kept): a reader sees the old file
    or the new one, never half of one."""
    text = dump_accounts(accounts)
    try:
        owner = path.stat()
    except FileNotFoundError:
        owner = None
    try:
        # mkstemp makes the file 0600 from the start: no moment where others may read it.
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise ConfigurationError(f"users file {path}: cannot write in {path.parent}: "
                                 f"{e.strerror}") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            if owner is not None:
                _keep_owner(out.fileno(), path, owner)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException as e:
        Path(temp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise ConfigurationError(f"users file {path}: cannot write it: "
                                     f"{e.strerror}") from e
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _keep_owner(fd: int, path: Path, owner: os.stat_result) -> None:
    # The server may run as another user than the one editing (root, say): a file it
    # could no longer read would lock everyone out.
    if (owner.st_uid, owner.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.fchown(fd, owner.st_uid, owner.st_gid)
    except PermissionError as e:
        raise ConfigurationError(
            f"users file {path}: cannot keep its owner (uid {owner.st_uid}, gid "
            f"{owner.st_gid}): edit it as that user or as root") from e


@contextmanager
def editing(path: Path) -> Iterator[dict[str, Account]]:
    """The file's users (none if it does not exist), to change and write back under a lock
    that keeps two edits at once from losing one of them."""
    lock = path.with_name(f".{path.name}.lock")
    try:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as e:
        raise ConfigurationError(f"users file {path}: cannot lock it ({lock}): "
                                 f"{e.strerror}") from e
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        accounts = load_accounts(path) if path.exists() else {}
        yield accounts
    finally:
        os.close(handle)


class AccountsFile:
    """The users file as the server sees it: read again whenever it changes on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._accounts: dict[str, Account] = {}
        self._lock = threading.Lock()
        self.current()

    def current(self) -> Mapping[str, Account]:
        """The users now; a file turned bad is an error until mended (never the old users)."""
        try:
            info = self.path.stat()
        except OSError as e:
            raise ConfigurationError(f"users file {self.path}: cannot read it: "
                                     f"{e.strerror}") from e
        seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        with self._lock:
            if seen != self._seen:
                self._accounts = load_accounts(self.path)
                self._seen = seen
            return self._accounts
