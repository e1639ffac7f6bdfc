"""An in-memory RemoteExecutor for tests of tasks: scripted replies, recorded calls."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ceph_tasks.errors import SshConnectError
from ceph_tasks.remote.argv import CommandResult, check_result, command_words, timed_out
from inventory import Host

#: Exit status a POSIX shell gives for a program it cannot find.
NOT_FOUND = 127


@dataclass(frozen=True)
class FakeReply:
    """What a scripted command does: its outcome, and how long it would run."""

    exit_status: int = 0
    stdout: str = ""
    stderr: str = ""
    #: Seconds the command would run; longer than the caller's timeout means it times out.
    duration: float = 0.0


@dataclass(frozen=True)
class FakeCall:
    """One command a caller ran."""

    host: str
    argv: tuple[str, ...]
    timeout: float


Handler = Callable[[str, tuple[str, ...]], FakeReply | None]


class FakeExecutor:
    """Answers commands from a script; unscripted commands exit 127 like an unknown program."""

    def __init__(self, command_timeout: float = 600.0) -> None:
        self.command_timeout = command_timeout
        self.calls: list[FakeCall] = []
        self._replies: dict[tuple[str | None, tuple[str, ...]], FakeReply] = {}
        self._handlers: list[Handler] = []
        self._unreachable: set[str] = set()
        self._lock = threading.Lock()

    def reply(
        self, argv: Sequence[str], *, host: str | None = None, exit_status: int = 0,
        stdout: str = "", stderr: str = "", duration: float = 0.0,
    ) -> None:
        """Script the reply to argv, on one host or (host None) on every host."""
        key = (host, command_words(argv))
        self._replies[key] = FakeReply(exit_status, stdout, stderr, duration)

    def reply_with(self, handler: Handler) -> None:
        """Answer commands no fixed reply matches with handler(host, argv), if not None."""
        self._handlers.append(handler)

    def make_unreachable(self, host_name: str) -> None:
        """Let every later command to host_name fail to connect."""
        self._unreachable.add(host_name)

    def make_reachable(self, host_name: str) -> None:
        """Let later commands to host_name connect again (a host back from a reboot)."""
        self._unreachable.discard(host_name)

    def run(
        self, host: Host, argv: Sequence[str], *, timeout: float | None = None,
        check: bool = True,
    ) -> CommandResult:
        """Answer argv as scripted; same errors as the SSH executor."""
        words = command_words(argv)
        limit = self.command_timeout if timeout is None else timeout
        if limit <= 0:
            raise ValueError(f"a command timeout must be positive, got {limit}")
        with self._lock:
            self.calls.append(FakeCall(host.name, words, limit))
        if host.name in self._unreachable:
            raise SshConnectError(host.name, host.ssh.address, host.ssh.port,
                                  "unreachable (fake)")
        reply = self._answer(host.name, words)
        if reply.duration > limit:
            raise timed_out(host.name, words, limit)
        result = CommandResult(host.name, words, reply.exit_status, reply.stdout, reply.stderr)
        return check_result(result) if check else result

    def commands_on(self, host_name: str) -> list[tuple[str, ...]]:
        """The argv of every command run on host_name, in order."""
        return [call.argv for call in self.calls if call.host == host_name]

    def _answer(self, host_name: str, words: tuple[str, ...]) -> FakeReply:
        for key in ((host_name, words), (None, words)):
            if key in self._replies:
                return self._replies[key]
        for handler in self._handlers:
            reply = handler(host_name, words)
            if reply is not None:
                return reply
        return FakeReply(NOT_FOUND, stderr=f"{words[0]}: command not found (fake)\n")
