"""The seam tasks run host commands through: an executor protocol and a per-host runner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ceph_tasks.remote.argv import CommandResult
from inventory import Host


class RemoteExecutor(Protocol):
    """Runs argv commands on inventory hosts (over SSH, or in memory for tests)."""

    def run(
        self, host: Host, argv: Sequence[str], *, timeout: float | None = None,
        check: bool = True,
    ) -> CommandResult:
        """Run argv on host; CommandFailed on a non-zero exit unless check is False.

        CommandTimedOut when it runs past timeout (None: the executor's default),
        SshConnectError / HostKeyRejected when the host cannot be reached or trusted.
        """
        ...


class HostRunner:
    """Runs commands on one host through an executor: a `run(argv, timeout)` runner."""

    def __init__(self, executor: RemoteExecutor, host: Host) -> None:
        self.executor, self.host = executor, host

    def run(
        self, argv: Sequence[str], timeout: float | None = None, *, check: bool = True
    ) -> CommandResult:
        """Run argv on this runner's host; same errors as RemoteExecutor.run."""
        return self.executor.run(self.host, argv, timeout=timeout, check=check)

    def __repr__(self) -> str:
        return f"HostRunner({self.host.name})"
