"""The raw Ceph client protocol: send a command, get its JSON answer or a typed error."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


class CephClient(Protocol):
    """Runs commands on one cluster; every failure is a CephError subclass.

    Answers are the command's parsed JSON output, or None for commands that print nothing.
    Errors from a refused command are CephCommandError subclasses chosen by errno (EPERM,
    ENOENT, EBUSY, EAGAIN, EINVAL, ETIMEDOUT), carrying the command, the cluster's message and
    whatever the command printed (ok-to-stop explains a refusal in its output).
    """

    def mon_command(self, prefix: str, **args: Any) -> Any:
        """Run a monitor command (the monitor forwards manager commands)."""
        ...

    def mgr_command(self, prefix: str, **args: Any) -> Any:
        """Run a command on the active manager."""
        ...

    def close(self) -> None:
        """Release the connection; the client is unusable afterwards."""
        ...


@runtime_checkable
class BinaryCephClient(Protocol):
    """A client that can also return a command's raw output (`osd getmap` is binary)."""

    def mon_command_bytes(self, prefix: str, **args: Any) -> bytes:
        """Run a monitor command; its output as bytes, unparsed."""
        ...
