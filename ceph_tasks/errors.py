"""The exception tree of ceph_tasks."""

from __future__ import annotations

import errno


class CephTaskError(Exception):
    """Root of every error raised by ceph_tasks."""


class InvalidInput(CephTaskError):
    """An argument is not valid: a maintenance reference, a disk-serial evidence, a weight."""


class CephBindingsMissing(CephTaskError):
    """The librados Python bindings cannot be imported."""


class ExternalServiceError(CephTaskError):
    """A monitoring, chat, mail or ticket service refused or failed a request."""


class MonitoringError(ExternalServiceError):
    """Setting, finding or removing a monitoring downtime failed."""


class NotificationError(ExternalServiceError):
    """Telling technicians (chat, e-mail, ticket) or reading a ticket failed."""


class SshConnectError(CephTaskError):
    """An SSH connection to a host could not be opened (unreachable, refused, auth failed)."""

    def __init__(self, host: str, address: str, port: int, reason: str) -> None:
        super().__init__(f"cannot connect to host {host} at {address}:{port}: {reason}")
        self.host, self.address, self.port, self.reason = host, address, port, reason


class HostKeyRejected(SshConnectError):
    """The host's SSH key is unknown or differs from the one recorded in known_hosts."""


class RemoteCommandError(CephTaskError):
    """A command run on a host did not complete successfully."""

    def __init__(self, message: str, host: str, argv: tuple[str, ...]) -> None:
        super().__init__(message)
        self.host, self.argv = host, argv


class CommandFailed(RemoteCommandError):
    """A command exited with a non-zero status; carries its stderr."""

    def __init__(
        self, message: str, host: str, argv: tuple[str, ...], exit_status: int, stdout: str,
        stderr: str,
    ) -> None:
        super().__init__(message, host, argv)
        self.exit_status, self.stdout, self.stderr = exit_status, stdout, stderr


class CommandTimedOut(RemoteCommandError):
    """A command ran past its timeout and was stopped."""

    def __init__(self, message: str, host: str, argv: tuple[str, ...], timeout: float) -> None:
        super().__init__(message, host, argv)
        self.timeout = timeout


class LedgerError(CephTaskError):
    """The record of what a maintenance changed could not be read or written."""


class LedgerUnavailable(LedgerError):
    """The ledger's Redis cannot be reached."""


class AuditError(CephTaskError):
    """The audit trail could not be written or read: the action it would announce is not taken."""


class AuditUnavailable(AuditError):
    """The audit trail's database cannot be reached."""


class CephError(CephTaskError):
    """A Ceph cluster could not be reached, refused a command or answered unexpectedly."""


class CephConnectError(CephError):
    """No connection to the cluster: bad configuration, or no monitor answered in time."""


class CephCommandError(CephError):
    """A Ceph command failed; carries the command, its errno and the cluster's message."""

    def __init__(self, command: str, code: int, message: str, output: str = "") -> None:
        reason = message or "no message"
        super().__init__(f"ceph {command} failed with {_errno_name(code)}: {reason}")
        # output is kept because some commands (ok-to-stop) explain a refusal in it.
        self.command, self.code, self.message, self.output = command, code, message, output


class CephPermissionDenied(CephCommandError):
    """The client lacks the capability (EPERM, EACCES)."""


class CephNotFound(CephCommandError):
    """The command names something that does not exist (ENOENT)."""


class CephBusy(CephCommandError):
    """The cluster refuses for now, e.g. OSDs not ok to stop (EBUSY)."""


class CephTryAgain(CephCommandError):
    """The cluster cannot answer yet, e.g. PGs in an unknown state (EAGAIN)."""


class CephInvalidCommand(CephCommandError):
    """An unknown command or bad arguments (EINVAL)."""


class CephCommandTimeout(CephCommandError):
    """No answer within the command timeout (ETIMEDOUT)."""


class CephBadOutput(CephCommandError):
    """The command succeeded but its output is not the JSON expected."""


class CephToolError(CephError):
    """A local Ceph tool (osdmaptool, crushtool) is missing, failed or ran out of time."""


def _errno_name(code: int) -> str:
    return errno.errorcode.get(abs(code), f"error {code}") if code else "bad output"


class ConfigurationError(CephTaskError):
    """A worker is not set up to run tasks: no inventory, or no settings on its app."""


class TaskFailed(CephTaskError):
    """A maintenance step failed; the message names the cluster, host and command."""


class Refused(TaskFailed):
    """A guard refused a step because the cluster could not prove it safe; nothing changed."""


class DeadlineExceeded(TaskFailed):
    """A repeating step (a wait) was still not done at its deadline; says what it saw last."""
