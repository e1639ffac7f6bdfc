"""The one map from any package's error to the command line's exit code.

0 done; 1 the cluster or the workflow refused or failed (unsafe, unhealthy, a step failed);
2 bad usage or input (unknown host or workflow, invalid inventory or option); 3 a service
could not be reached (Redis, the broker, the cluster, an SSH host).
"""

from __future__ import annotations

from enum import IntEnum

from ceph_tasks.errors import (
    AuditUnavailable,
    CephBindingsMissing,
    CephCommandTimeout,
    CephConnectError,
    CephTaskError,
    ConfigurationError,
    InvalidInput,
    LedgerUnavailable,
    SshConnectError,
)
from cephmaint.errors import CephmaintError, UsageError
from dyrygent.errors import (
    DispatchError,
    DyrygentError,
    InvalidTransitionError,
    NotConfiguredError,
    StoreUnavailable,
    UnknownNodeError,
    UnknownWorkflowError,
    WorkflowDefinitionError,
)
from inventory import InventoryError, InventoryLoadError
from workflows.errors import ControlRefused, SubmitError, UnknownTarget, WorkflowsError


class ExitCode(IntEnum):
    """What a cephmaint command's exit status means."""

    OK = 0
    FAILED = 1
    USAGE = 2
    UNREACHABLE = 3
    INTERRUPTED = 130


#: The first entry an error is an instance of gives its exit code: specific kinds first,
#: then the root of each package.
EXIT_CODES: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (StoreUnavailable, ExitCode.UNREACHABLE),
    (LedgerUnavailable, ExitCode.UNREACHABLE),
    (AuditUnavailable, ExitCode.UNREACHABLE),
    (SubmitError, ExitCode.UNREACHABLE),
    (DispatchError, ExitCode.UNREACHABLE),
    (CephConnectError, ExitCode.UNREACHABLE),
    (CephCommandTimeout, ExitCode.UNREACHABLE),
    (SshConnectError, ExitCode.UNREACHABLE),
    (InventoryError, ExitCode.USAGE),
    (UnknownTarget, ExitCode.USAGE),
    (ControlRefused, ExitCode.USAGE),
    (UnknownWorkflowError, ExitCode.USAGE),
    (UnknownNodeError, ExitCode.USAGE),
    (InvalidTransitionError, ExitCode.USAGE),
    (WorkflowDefinitionError, ExitCode.USAGE),
    (NotConfiguredError, ExitCode.USAGE),
    (ConfigurationError, ExitCode.USAGE),
    (CephBindingsMissing, ExitCode.USAGE),
    (InvalidInput, ExitCode.USAGE),
    (UsageError, ExitCode.USAGE),
    (CephTaskError, ExitCode.FAILED),
    (WorkflowsError, ExitCode.FAILED),
    (DyrygentError, ExitCode.FAILED),
    (CephmaintError, ExitCode.FAILED),
)

#: The errors the command line reports in one line; anything else is a bug (traceback).
KNOWN_ERRORS = tuple(kind for kind, _ in EXIT_CODES)


def exit_code_of(error: BaseException) -> ExitCode:
    """The exit code of an error, by the first kind of EXIT_CODES it is."""
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return ExitCode.FAILED


def one_line(error: BaseException) -> str:
    """The error's message on one line: its first line, with a count of the rest."""
    if isinstance(error, InventoryLoadError) and len(error.problems) > 1:
        more = len(error.problems) - 1
        return (f"{error.problems[0]} (and {more} more problem{'s' * (more > 1)}: "
                "cephmaint inventory check lists them)")
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    more = len(lines) - 1
    return lines[0] if not more else f"{lines[0]} (and {more} more line{'s' * (more > 1)})"
