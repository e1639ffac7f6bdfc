"""The Ceph client over librados (Debian's python3-rados), for admin hosts with the bindings."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from ceph_tasks.ceph.bindings import load_rados
from ceph_tasks.ceph.command import CephCommand, command_error, result_of
from ceph_tasks.ceph.signatures import CommandSignatures
from ceph_tasks.errors import CephConnectError
from inventory.models import Cluster

#: The fsid librados reports until the first monmap arrives.
ZERO_FSID = "00000000-0000-0000-0000-000000000000"


class RadosClient:
    """A CephClient holding one librados connection; build it with connect() or for_cluster()."""

    def __init__(self, handle: Any, rados: ModuleType, cluster: str, command_timeout: float,
                 signatures: CommandSignatures) -> None:
        self._handle: Any = handle
        self._rados = rados
        self.cluster = cluster
        self.command_timeout = command_timeout
        self.signatures = signatures

    @classmethod
    def connect(
        cls,
        *,
        cluster: str = "ceph",
        conf_path: Path | None = None,
        keyring_path: Path | None = None,
        mon_hosts: Sequence[str] = (),
        client_name: str = "client.admin",
        connect_timeout: float = 10,
        command_timeout: float = 30,
    ) -> RadosClient:
        """Connect to a cluster; CephConnectError when no monitor answers in time."""
        rados = load_rados()
        # librados takes whole seconds; rounding up keeps a sub-second timeout from meaning 0,
        # which librados reads as "wait forever".
        connect_s, command_s = str(max(1, round(connect_timeout))), str(
            max(1, round(command_timeout)))
        conf = {
            "client_mount_timeout": connect_s,
            # Without this a command to an unresponsive monitor never returns.
            "rados_mon_op_timeout": command_s,
            "rados_osd_op_timeout": command_s,
            "log_file": "",
            "log_to_stderr": "false",
            "err_to_stderr": "false",
        }
        if keyring_path is not None:
            conf["keyring"] = str(keyring_path)
        if mon_hosts:
            conf["mon_host"] = ",".join(mon_hosts)
        where = f"cluster {cluster} ({_where(conf_path, mon_hosts)})"
        try:
            # conffile None reads no file at all: monitor addresses alone are enough, and
            # a stray /etc/ceph/ceph.conf must not mix in settings of another cluster.
            handle = rados.Rados(name=client_name,
                                 conffile=str(conf_path) if conf_path else None, conf=conf)
        except rados.Error as e:
            raise CephConnectError(f"cannot configure a client for {where}: {e}") from e
        try:
            handle.connect(timeout=int(connect_s))
            _wait_for_monmap(handle, connect_timeout)
            client = cls(handle, rados, cluster, command_timeout, CommandSignatures([]))
            client.signatures = CommandSignatures.from_descriptions(
                client._send(CephCommand("get_command_descriptions"), mgr=False)
            )
        except rados.TimedOut as e:
            handle.shutdown()
            raise CephConnectError(
                f"cannot connect to {where}: no monitor answered within {connect_s} s"
            ) from e
        except rados.Error as e:
            handle.shutdown()
            raise CephConnectError(f"cannot connect to {where}: {e}") from e
        except BaseException:
            handle.shutdown()
            raise
        return client

    @classmethod
    def for_cluster(cls, cluster: Cluster, *, connect_timeout: float = 10,
                    command_timeout: float = 30) -> RadosClient:
        """Connect to an inventory cluster through its access settings."""
        access = cluster.access
        return cls.connect(
            cluster=cluster.name, conf_path=access.conf_path, keyring_path=access.keyring_path,
            mon_hosts=access.mon_hosts, client_name=access.client_name,
            connect_timeout=connect_timeout, command_timeout=command_timeout,
        )

    def mon_command(self, prefix: str, **args: Any) -> Any:
        """Run a monitor command (the monitor forwards manager commands)."""
        command = CephCommand(prefix, args)
        self.signatures.check(command)
        return self._send(command, mgr=False)

    def mgr_command(self, prefix: str, **args: Any) -> Any:
        """Run a command on the active manager."""
        command = CephCommand(prefix, args)
        self.signatures.check(command)
        return self._send(command, mgr=True)

    def mon_command_bytes(self, prefix: str, **args: Any) -> bytes:
        """Run a monitor command; its output unparsed (e.g. the binary map of `osd getmap`)."""
        command = CephCommand(prefix, args)
        self.signatures.check(command)
        code, out, message = self._raw(command, mgr=False)
        if code != 0:
            raise command_error(command, code, message)
        return out

    def _send(self, command: CephCommand, *, mgr: bool) -> Any:
        code, out, message = self._raw(command, mgr=mgr)
        return result_of(command, code, out.decode("utf-8", "replace"), message)

    def _raw(self, command: CephCommand, *, mgr: bool) -> tuple[int, bytes, str]:
        if self._handle is None:
            raise CephConnectError(f"the client of cluster {self.cluster} is closed")
        send = self._handle.mgr_command if mgr else self._handle.mon_command
        try:
            code, out, message = send(command.to_json(), b"")
        except self._rados.Error as e:
            # librados raises only when the handle itself is unusable; keep the errno.
            raise command_error(command, int(getattr(e, "errno", 0) or 5), str(e)) from e
        return int(code), bytes(out), str(message)

    def close(self) -> None:
        """Shut the connection down; safe to call twice."""
        if self._handle is not None:
            self._handle.shutdown()
            self._handle = None

    def __enter__(self) -> RadosClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _wait_for_monmap(handle: Any, timeout: float) -> None:
    # With auth none, connect() can return before the first monmap; commands sent before it
    # carry a zero fsid and the monitor refuses them with EPERM.
    deadline = time.monotonic() + timeout
    while handle.get_fsid() == ZERO_FSID:
        if time.monotonic() > deadline:
            raise CephConnectError(f"connected, but no monmap arrived within {timeout:g} s")
        time.sleep(0.01)


def _where(conf_path: Path | None, mon_hosts: Sequence[str]) -> str:
    parts = [f"conf {conf_path}"] if conf_path else []
    if mon_hosts:
        parts.append(f"mon hosts {','.join(mon_hosts)}")
    return ", ".join(parts)
