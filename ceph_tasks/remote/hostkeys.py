"""Host key verification for SSH connections: known_hosts, and opt-in trust of new hosts."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import paramiko

from ceph_tasks.errors import HostKeyRejected
from inventory import Host

log = logging.getLogger(__name__)

#: Where OpenSSH keeps a user's known hosts; used when the inventory names no file.
DEFAULT_KNOWN_HOSTS = Path("~/.ssh/known_hosts")


def known_hosts_name(address: str, port: int) -> str:
    """The name a host is listed under in known_hosts: `addr`, or `[addr]:port` off port 22."""
    return address if port == 22 else f"[{address}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """The key's type and SHA256 fingerprint, as `ssh-keygen -l` prints them."""
    return f"{key.get_name()} {key.fingerprint}"


def known_hosts_path(host: Host) -> Path:
    """The known_hosts file that vouches for this host's key."""
    return (host.ssh.known_hosts_path or DEFAULT_KNOWN_HOSTS).expanduser()


class UnknownHostKey(paramiko.SSHException):
    """Raised inside paramiko's handshake when a host has no key in known_hosts."""

    def __init__(self, name: str, key: paramiko.PKey) -> None:
        super().__init__(f"{name} is not in known_hosts")
        self.name, self.key = name, key


class RefuseUnknownHosts(paramiko.MissingHostKeyPolicy):
    """Refuse any host that known_hosts does not list."""

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        """Refuse the connection."""
        raise UnknownHostKey(hostname, key)


class AcceptUnknownHosts(paramiko.MissingHostKeyPolicy):
    """Accept a host known_hosts does not list, and pin its key for later connections."""

    def __init__(self, pinned: paramiko.HostKeys, lock: threading.Lock) -> None:
        self._pinned, self._lock = pinned, lock

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        """Accept and pin the key."""
        # paramiko only asks when known_hosts lists no key at all for this name: a listed key
        # that differs (of any type) is raised as BadHostKeyException before we are called, so
        # the flag never lets a *changed* key through. A changed key means a reinstalled host
        # or a man in the middle; accepting it would turn verification off entirely, whereas
        # a new host with no recorded key is the expected first contact.
        log.warning("accepting the unknown host key of %s (%s): accept_unknown_host_keys is set",
                    hostname, fingerprint(key))
        with self._lock:
            self._pinned.add(hostname, key.get_name(), key)


def load_known_keys(
    client: paramiko.SSHClient, host: Host, pinned: paramiko.HostKeys, lock: threading.Lock
) -> None:
    """Give the client the keys known for the host: its known_hosts file, then pinned keys."""
    path = known_hosts_path(host)
    if path.exists():
        try:
            client.load_host_keys(str(path))
        except OSError as e:
            raise HostKeyRejected(
                host.name, host.ssh.address, host.ssh.port,
                f"cannot read known_hosts {path}: {e}",
            ) from e
    name = known_hosts_name(host.ssh.address, host.ssh.port)
    with lock:
        keys = pinned.lookup(name)
        for key_type, key in (keys or {}).items():
            client.get_host_keys().add(name, key_type, key)
    # load_host_keys() would save keys back on close if asked: we never ask, so the
    # inventory's known_hosts is only ever read.


def unknown_key_error(host: Host, error: UnknownHostKey) -> HostKeyRejected:
    """The error for a host whose key known_hosts does not list."""
    path = known_hosts_path(host)
    where = str(path) if path.exists() else f"{path}, which does not exist"
    return HostKeyRejected(
        host.name, host.ssh.address, host.ssh.port,
        f"host key {fingerprint(error.key)} is unknown: no entry for {error.name} in "
        f"known_hosts ({where}); add the host's key there (ssh-keyscan -p {host.ssh.port} "
        f"{host.ssh.address}, checked out of band) or set accept_unknown_host_keys",
    )


def changed_key_error(host: Host, error: paramiko.BadHostKeyException) -> HostKeyRejected:
    """The error for a host whose key differs from the one known_hosts lists."""
    return HostKeyRejected(
        host.name, host.ssh.address, host.ssh.port,
        f"host key CHANGED: the server offered {fingerprint(error.key)} but known_hosts "
        f"({known_hosts_path(host)}) lists {fingerprint(error.expected_key)}; this is either "
        "a reinstalled host or a man-in-the-middle, and is refused even with "
        "accept_unknown_host_keys: verify the new key and update known_hosts",
    )
