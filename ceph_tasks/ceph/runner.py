"""Run a program and collect its exit status and output: locally here, remotely elsewhere."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Protocol


class CommandRunner(Protocol):
    """Runs one program, given as an argv list (never through a shell).

    Returns (exit status, stdout, stderr) whatever the exit status; raises TimeoutError when
    the program outlives timeout seconds, and OSError when it cannot be started.
    """

    def run(self, argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
        """Run argv; return its exit status, stdout and stderr."""
        ...


class LocalRunner:
    """Runs programs on this machine as child processes."""

    def run(self, argv: Sequence[str], timeout: float) -> tuple[int, str, str]:
        """Run argv here; kill it and raise TimeoutError after timeout seconds."""
        try:
            done = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=timeout, check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            raise TimeoutError(f"{argv[0]} did not finish within {timeout:g} s") from e
        return done.returncode, done.stdout, done.stderr
