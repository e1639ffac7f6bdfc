"""Run the `ceph` CLI on another host: a CommandRunner over a RemoteExecutor (SSH)."""

from __future__ import annotations

from collections.abc import Sequence

from ceph_tasks.errors import CommandTimedOut, SshConnectError
from ceph_tasks.remote.executor import RemoteExecutor
from inventory import Host


class RemoteRunner:
    """Runs programs on one inventory host, e.g. an admin host that has the Ceph CLI."""

    def __init__(self, executor: RemoteExecutor, host: Host) -> None:
        self.executor, self.host = executor, host

    def run(self, argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
        """Run argv on the host; its exit status is returned, not raised."""
        try:
            result = self.executor.run(self.host, argv, timeout=timeout, check=False)
        except CommandTimedOut as e:
            raise TimeoutError(str(e)) from e
        except SshConnectError as e:
            # The protocol's "cannot be started": the CLI client reports it as a connect error.
            raise ConnectionError(str(e)) from e
        return result.exit_status, result.stdout, result.stderr

    def __repr__(self) -> str:
        return f"RemoteRunner({self.host.name})"
