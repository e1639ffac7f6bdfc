"""Run argv commands on inventory hosts over SSH (paramiko), one reused connection per host."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import paramiko

from ceph_tasks.errors import SshConnectError
from ceph_tasks.remote.argv import (
    CommandResult,
    check_result,
    command_words,
    decode_output,
    display_command,
    guarded,
    shell_line,
    timed_out,
)
from ceph_tasks.remote.executor import HostRunner
from ceph_tasks.remote.hostkeys import (
    AcceptUnknownHosts,
    RefuseUnknownHosts,
    UnknownHostKey,
    changed_key_error,
    load_known_keys,
    unknown_key_error,
)
from ceph_tasks.remote.secrets import Secret
from inventory import Host

log = logging.getLogger(__name__)

#: Seconds to open a connection (TCP, banner, authentication each get this much).
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Seconds a command may run when the caller gives no timeout.
DEFAULT_COMMAND_TIMEOUT = 600.0
# Output is polled with a growing pause: short commands return within a few ms,
# long quiet ones cost a wake-up every 50 ms at most.
_POLL_FIRST, _POLL_MAX = 0.001, 0.05
_READ_CHUNK = 65536

#: Commands run at once on one connection. OpenSSH refuses channels beyond its MaxSessions
#: (10 by default); callers past this limit wait for a free session instead of failing.
DEFAULT_SESSIONS_PER_HOST = 8

_PoolKey = tuple[str, str, int, str]


@dataclass
class _Slot:
    """One host's connection; its lock makes concurrent callers share one connect."""

    sessions: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: paramiko.SSHClient | None = None


class SshExecutor:
    """Runs commands on hosts over SSH, verifying host keys; thread-safe, reuses connections."""

    def __init__(
        self, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        key_passphrases: Mapping[Path, Secret] | None = None, host_timeout: bool = True,
        sessions_per_host: int = DEFAULT_SESSIONS_PER_HOST,
    ) -> None:
        """Set timeouts, passphrases of encrypted keys (by key path), and host-side timeouts.

        With host_timeout, each command runs under the host's coreutils `timeout`, so a
        command that outlives its timeout is also stopped on the host, not only abandoned.
        """
        if connect_timeout <= 0 or command_timeout <= 0:
            raise ValueError("connect_timeout and command_timeout must be positive")
        if sessions_per_host < 1:
            raise ValueError("sessions_per_host must be at least 1")
        self.sessions_per_host = sessions_per_host
        self.connect_timeout, self.command_timeout = connect_timeout, command_timeout
        self._passphrases = dict(key_passphrases or {})
        self.host_timeout = host_timeout
        self._lock = threading.Lock()
        self._slots: dict[_PoolKey, _Slot] = {}
        # Keys accepted under accept_unknown_host_keys stay pinned for this executor's life,
        # so a reconnect to the same host with yet another key is refused as a changed key.
        self._pinned = paramiko.HostKeys()
        self._pinned_lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"SshExecutor({len(self._slots)} host(s), connect_timeout={self.connect_timeout:g})"

    # -- running ------------------------------------------------------------------------

    def run(
        self, host: Host, argv: Sequence[str], *, timeout: float | None = None,
        check: bool = True,
    ) -> CommandResult:
        """Run argv on host; CommandFailed on non-zero exit unless check is False."""
        words = command_words(argv)
        limit = self.command_timeout if timeout is None else timeout
        if limit <= 0:
            raise ValueError(f"a command timeout must be positive, got {limit}")
        log.debug("running on %s (%s:%d): %s", host.name, host.ssh.address, host.ssh.port,
                  display_command(words))
        started = time.monotonic()
        slot = self._slot(host)
        with slot.sessions:
            channel = self._open_channel(host, slot)
            try:
                result = self._execute(channel, host, words, limit)
            finally:
                channel.close()
        log.debug("on %s: exit %d after %.3f s: %s", host.name, result.exit_status,
                  time.monotonic() - started, display_command(words))
        return check_result(result) if check else result

    def runner(self, host: Host) -> HostRunner:
        """A runner bound to one host, for code that takes `run(argv, timeout)`."""
        return HostRunner(self, host)

    def _execute(
        self, channel: paramiko.Channel, host: Host, words: tuple[str, ...], limit: float
    ) -> CommandResult:
        deadline = time.monotonic() + limit
        try:
            line = shell_line(guarded(words, limit) if self.host_timeout else words)
            channel.exec_command(line)
            # Commands get no stdin: one waiting for input would otherwise hang until timeout.
            channel.shutdown_write()
            out, err = bytearray(), bytearray()
            pause = _POLL_FIRST
            while True:
                got = False
                while channel.recv_ready():
                    out += channel.recv(_READ_CHUNK)
                    got = True
                while channel.recv_stderr_ready():
                    err += channel.recv_stderr(_READ_CHUNK)
                    got = True
                if got:
                    pause = _POLL_FIRST
                    continue
                # OpenSSH sends the exit status after EOF; a closed channel (the connection
                # dropped) also ends the wait, with no exit status (-1).
                if channel.closed or (channel.exit_status_ready() and channel.eof_received):
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    channel.close()
                    raise timed_out(host.name, words, limit)
                time.sleep(min(pause, remaining))
                pause = min(pause * 2, _POLL_MAX)
            status = channel.recv_exit_status() if channel.exit_status_ready() else -1
        except (paramiko.SSHException, OSError) as e:
            raise SshConnectError(host.name, host.ssh.address, host.ssh.port,
                                  f"connection lost while running a command: {e}") from e
        return CommandResult(host.name, words, status, decode_output(bytes(out)),
                             decode_output(bytes(err)))

    # -- connections --------------------------------------------------------------------

    def _slot(self, host: Host) -> _Slot:
        key = (host.name, host.ssh.address, host.ssh.port, host.ssh.user)
        with self._lock:
            if self._closed:
                raise RuntimeError("this SshExecutor is closed")
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot(threading.BoundedSemaphore(self.sessions_per_host))
            return slot

    def _transport(self, host: Host, slot: _Slot) -> paramiko.Transport:
        with slot.lock:
            if slot.client is not None:
                transport = slot.client.get_transport()
                if transport is not None and transport.is_active():
                    return transport
                log.debug("connection to %s is gone: reconnecting", host.name)
                slot.client.close()
                slot.client = None
            slot.client = self._connect(host)
            transport = slot.client.get_transport()
            if transport is None:  # connect() returned, so paramiko has one; typing says maybe
                raise SshConnectError(host.name, host.ssh.address, host.ssh.port,
                                      "no transport after connecting")
            return transport

    def _open_channel(self, host: Host, slot: _Slot) -> paramiko.Channel:
        for attempt in (1, 2):
            transport = self._transport(host, slot)
            try:
                return transport.open_session(timeout=self.connect_timeout)
            except (paramiko.SSHException, OSError) as e:
                # The connection can die between the liveness check and the channel request
                # (server restarted, idle link cut): nothing ran yet, so one fresh try is safe.
                if attempt == 1 and not transport.is_active():
                    log.debug("opening a channel to %s failed (%s): reconnecting", host.name, e)
                    continue
                raise SshConnectError(host.name, host.ssh.address, host.ssh.port,
                                      f"cannot open a session: {e}") from e
        raise AssertionError("unreachable")  # pragma: no cover

    def _connect(self, host: Host) -> paramiko.SSHClient:
        ssh = host.ssh
        log.debug("connecting to %s at %s:%d as %s", host.name, ssh.address, ssh.port, ssh.user)
        client = paramiko.SSHClient()
        load_known_keys(client, host, self._pinned, self._pinned_lock)
        client.set_missing_host_key_policy(
            AcceptUnknownHosts(self._pinned, self._pinned_lock)
            if ssh.accept_unknown_host_keys else RefuseUnknownHosts()
        )
        passphrase = self._passphrases.get(ssh.key_path) if ssh.key_path else None
        try:
            client.connect(
                ssh.address, port=ssh.port, username=ssh.user,
                key_filename=str(ssh.key_path) if ssh.key_path else None,
                passphrase=passphrase.reveal() if passphrase else None,
                # An explicit key means exactly that key; without one, do what ssh does.
                look_for_keys=ssh.key_path is None, allow_agent=ssh.key_path is None,
                timeout=self.connect_timeout, banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout, channel_timeout=self.connect_timeout,
            )
        except UnknownHostKey as e:
            client.close()
            raise unknown_key_error(host, e) from e
        except paramiko.BadHostKeyException as e:
            client.close()
            raise changed_key_error(host, e) from e
        except paramiko.PasswordRequiredException as e:
            client.close()
            raise self._connect_error(host, f"key {ssh.key_path} is encrypted and no "
                                      "passphrase was given for it") from e
        except paramiko.AuthenticationException as e:
            client.close()
            key = f"key {ssh.key_path}" if ssh.key_path else "the agent's or default keys"
            raise self._connect_error(
                host, f"authentication as {ssh.user} with {key} failed: {e}") from e
        except TimeoutError as e:
            client.close()
            raise self._connect_error(
                host, f"timed out after {self.connect_timeout:g} s") from e
        except (paramiko.SSHException, OSError) as e:
            client.close()
            raise self._connect_error(host, str(e) or type(e).__name__) from e
        return client

    def _connect_error(self, host: Host, reason: str) -> SshConnectError:
        # paramiko never puts a passphrase in its messages; scrubbing anyway costs nothing
        # and keeps that true whatever a future release says.
        for secret in self._passphrases.values():
            if secret.reveal():
                reason = reason.replace(secret.reveal(), "***")
        return SshConnectError(host.name, host.ssh.address, host.ssh.port, reason)

    # -- lifetime -----------------------------------------------------------------------

    def disconnect(self, host: Host) -> None:
        """Close the connection to host, if any; the next command reconnects."""
        slot = self._slot(host)
        with slot.lock:
            if slot.client is not None:
                slot.client.close()
                slot.client = None

    def close(self) -> None:
        """Close every connection; the executor cannot be used afterwards."""
        with self._lock:
            self._closed = True
            slots = list(self._slots.values())
            self._slots.clear()
        for slot in slots:
            with slot.lock:
                if slot.client is not None:
                    slot.client.close()
                    slot.client = None

    def __enter__(self) -> SshExecutor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
