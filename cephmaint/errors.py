"""The exception tree of the command line and the sandbox: CephmaintError is its root."""

from __future__ import annotations

from pathlib import Path


class CephmaintError(Exception):
    """Root of every error of the command line and the sandbox."""


class UsageError(CephmaintError):
    """The command was given something it cannot use; nothing was changed."""


class SandboxError(CephmaintError):
    """Root of every sandbox error."""


class DaemonFailed(SandboxError):
    """A sandbox daemon is not running when it should be; carries the end of its log."""

    def __init__(self, daemon: str, log: Path, tail: str) -> None:
        super().__init__(f"{daemon} is not running; last lines of {log}:\n{tail}")
        self.daemon = daemon
        self.log = log
        self.tail = tail


class VerifyFailed(SandboxError):
    """Objects of the data pool are missing or differ from their recorded checksums."""

    def __init__(self, missing: list[str], corrupt: list[str], total: int) -> None:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:5])})")
        if corrupt:
            parts.append(f"{len(corrupt)} corrupt ({', '.join(corrupt[:5])})")
        super().__init__(f"data check failed on {total} objects: {'; '.join(parts)}")
        self.missing = missing
        self.corrupt = corrupt
