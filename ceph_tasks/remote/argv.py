"""Commands run on a host: argv quoting for the remote shell, results and their errors (pure).

An SSH server hands the command line to the user's login shell, so every argv word is
quoted with `shlex.quote`: whatever a word holds (`;`, `$(...)`, backticks, quotes,
newlines), it reaches the program as exactly one argv element. The quoting is POSIX
shell quoting: hosts must give the SSH user a POSIX login shell (sh, dash, bash, zsh).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from ceph_tasks.errors import CommandFailed, CommandTimedOut

#: Seconds the host-side timeout waits beyond the caller's: the client gives up first and
#: reports the timeout; the host then stops the command soon after.
HOST_TIMEOUT_GRACE = 1.0
#: Seconds between the host-side TERM and KILL, for commands that ignore TERM.
HOST_KILL_AFTER = 5.0
#: Characters of stderr kept in an error message; the full text stays on the exception.
MESSAGE_STDERR_CHARS = 2000
#: Characters of the command line kept in an error message.
MESSAGE_COMMAND_CHARS = 500


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left: its exit status, stdout and stderr."""

    host: str
    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Tell whether the command exited with status 0."""
        return self.exit_status == 0


def command_words(argv: Sequence[str]) -> tuple[str, ...]:
    """Check an argv list and return it as a tuple; TypeError/ValueError when unusable."""
    # A bare string is a Sequence[str] too: iterating it would run one word per character.
    if isinstance(argv, str | bytes):
        raise TypeError("a command is a list of argv words, not a string")
    words = tuple(argv)
    if not words or not words[0]:
        raise ValueError("a command needs at least the program to run")
    for word in words:
        if not isinstance(word, str):
            raise TypeError(f"argv words must be str, got {type(word).__name__}: {word!r}")
        # No quoting can carry NUL: the remote exec would cut the word short.
        if "\x00" in word:
            raise ValueError(f"argv word {word!r} contains a NUL character")
    return words


def shell_line(argv: Sequence[str]) -> str:
    """Join argv into one command line for the remote shell, every word quoted."""
    return " ".join(shlex.quote(word) for word in command_words(argv))


def guarded(argv: Sequence[str], timeout: float) -> tuple[str, ...]:
    """Wrap argv in coreutils `timeout`, so the host itself stops it if it runs too long."""
    # Closing the SSH channel does not stop a command that never writes (sleep, a stuck
    # read): it runs on as an orphan. OpenSSH's "signal" request would, but sshd refuses it
    # for root sessions. `timeout` signals the command's whole process group (daemons that
    # detach into their own session are left alone, as they should be).
    limit = f"{timeout + HOST_TIMEOUT_GRACE:.3f}".rstrip("0").rstrip(".")
    return ("timeout", "-k", f"{HOST_KILL_AFTER:g}", limit, *command_words(argv))


def display_command(argv: Sequence[str]) -> str:
    """The command as an operator could paste it, shortened for messages."""
    text = shlex.join(argv)
    if len(text) > MESSAGE_COMMAND_CHARS:
        return text[: MESSAGE_COMMAND_CHARS - 3] + "..."
    return text


def _stderr_excerpt(stderr: str) -> str:
    text = stderr.strip()
    if not text:
        return "no stderr"
    # The end of stderr usually holds the actual error; the beginning is often progress.
    if len(text) > MESSAGE_STDERR_CHARS:
        text = "..." + text[-(MESSAGE_STDERR_CHARS - 3) :]
    return f"stderr: {text}"


def failure_message(result: CommandResult) -> str:
    """Describe a command that did not exit with status 0."""
    if result.exit_status < 0:
        # The server sent no exit status: the process died by a signal or the link dropped.
        how = "ended without an exit status (killed by a signal, or the connection dropped)"
    else:
        how = f"exited with status {result.exit_status}"
    return (
        f"command `{display_command(result.argv)}` on host {result.host} {how}; "
        f"{_stderr_excerpt(result.stderr)}"
    )


def check_result(result: CommandResult) -> CommandResult:
    """Return the result if the command exited with 0, else raise CommandFailed."""
    if result.ok:
        return result
    raise CommandFailed(
        failure_message(result), result.host, result.argv, result.exit_status, result.stdout,
        result.stderr,
    )


def timed_out(host: str, argv: Sequence[str], timeout: float) -> CommandTimedOut:
    """The error for a command stopped after running past its timeout."""
    return CommandTimedOut(
        f"command `{display_command(argv)}` on host {host} ran past its timeout of "
        f"{timeout:g} s and was stopped",
        host, tuple(argv), timeout,
    )


def decode_output(data: bytes) -> str:
    """Decode command output as UTF-8, replacing bytes that are not."""
    return data.decode("utf-8", errors="replace")
