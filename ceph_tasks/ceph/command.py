"""A Ceph command as data, and the pure rules every client shares: errno to error type,
output text to JSON."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ceph_tasks.errors import (
    CephBadOutput,
    CephBusy,
    CephCommandError,
    CephCommandTimeout,
    CephInvalidCommand,
    CephNotFound,
    CephPermissionDenied,
    CephTryAgain,
)

_ERROR_TYPES: dict[int, type[CephCommandError]] = {
    errno.EPERM: CephPermissionDenied,
    errno.EACCES: CephPermissionDenied,
    errno.ENOENT: CephNotFound,
    errno.EBUSY: CephBusy,
    errno.EAGAIN: CephTryAgain,
    errno.EINVAL: CephInvalidCommand,
    errno.ETIMEDOUT: CephCommandTimeout,
}


@dataclass(frozen=True)
class CephCommand:
    """A command prefix (e.g. "osd crush reweight") and its named arguments."""

    prefix: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """The JSON form librados sends to the monitor, always asking for JSON output."""
        return json.dumps({"prefix": self.prefix, **self.args, "format": "json"})

    def describe(self) -> str:
        """Text naming the command and its arguments, for messages and logs."""
        if not self.args:
            return self.prefix
        return f"{self.prefix} {json.dumps(dict(self.args), sort_keys=True)}"


def command_error(command: CephCommand, code: int, message: str, output: str = "") -> (
    CephCommandError
):
    """The error for a failed command; code is an errno, negative (librados) or not (CLI)."""
    error_type = _ERROR_TYPES.get(abs(code), CephCommandError)
    # A manager command that times out comes back with no message at all.
    text = message.strip() or os.strerror(abs(code))
    return error_type(command.describe(), abs(code), text, output)


def parse_output(command: CephCommand, output: str) -> Any:
    """The command's JSON output; None when it printed nothing (e.g. `osd out`)."""
    if not output.strip():
        return None
    try:
        return json.loads(output)
    except json.JSONDecodeError as e:
        raise CephBadOutput(
            command.describe(), 0, f"output is not JSON ({e}): {output[:200]!r}", output
        ) from e


def result_of(command: CephCommand, code: int, output: str, message: str) -> Any:
    """A command's parsed output when code is 0, else its error (raised)."""
    if code != 0:
        raise command_error(command, code, message, output)
    return parse_output(command, output)
