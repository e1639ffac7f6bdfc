"""Start, watch and stop the sandbox's daemons as plain detached processes with pid files."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cephmaint.errors import DaemonFailed, SandboxError


def log_tail(path: Path, lines: int = 25) -> str:
    """The last lines of a log file, or a note that it does not exist."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def run(argv: Sequence[str], what: str, timeout: float = 60, log: Path | None = None) -> str:
    """Run a short command to completion; raise naming what failed, its output and log."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise SandboxError(f"{what}: {argv[0]} did not finish within {timeout:.0f} s") from e
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip())[-2000:]
        if log is not None:
            output += f"\nlast lines of {log}:\n{log_tail(log)}"
        raise SandboxError(f"{what}: {' '.join(argv)} exited {done.returncode}\n{output}")
    return done.stdout


def pid_alive(pid: int) -> bool:
    """Tell whether a process with this pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


class Daemon:
    """One long-running process of the sandbox, known by its pid file and its log."""

    def __init__(self, name: str, argv: Sequence[str], run_dir: Path, log: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.pid_file = run_dir / f"{name}.pid"
        self.log = log

    def pid(self) -> int | None:
        """The recorded pid if that process still runs, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def running(self) -> bool:
        """Tell whether the daemon runs."""
        return self.pid() is not None

    def start(self) -> int:
        """Start the daemon detached from the caller unless it already runs; return its pid."""
        existing = self.pid()
        if existing is not None:
            return existing
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            # A new session: the daemon outlives the command that started it, and a Ctrl-C
            # in the operator's terminal does not reach it.
            proc = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, close_fds=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        return proc.pid

    def check(self) -> None:
        """Raise DaemonFailed with the end of the log when the daemon is not running."""
        if not self.running():
            raise DaemonFailed(self.name, self.log, log_tail(self.log))

    def stop(self, timeout: float = 15) -> None:
        """Stop the daemon: SIGTERM, then SIGKILL after timeout; remove its pid file."""
        pid = self.pid()
        if pid is not None:
            terminate(pid, timeout)
        self.pid_file.unlink(missing_ok=True)


    def kill(self) -> None:
        """Kill the daemon at once (SIGKILL), as a crash or a dead disk would end it."""
        pid = self.pid()
        if pid is not None:
            terminate_all([pid], timeout=0, signals=(signal.SIGKILL,))
        self.pid_file.unlink(missing_ok=True)


def terminate(pid: int, timeout: float = 15) -> None:
    """Send SIGTERM, wait for the process to end, then SIGKILL it."""
    terminate_all([pid], timeout)


def terminate_all(pids: Sequence[int], timeout: float = 15,
                  signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGKILL)) -> None:
    """Send SIGTERM to every process at once, wait for them all, then SIGKILL what is left."""
    for sig in signals:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while any(pid_alive(pid) for pid in pids) and (
                sig == signal.SIGKILL or time.monotonic() < deadline):
            for pid in pids:
                _reap(pid)
            time.sleep(0.05)


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def processes_under(root: Path) -> list[int]:
    """Pids of every process whose command line names a path under root."""
    marker = str(root)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # A daemon names root in its config argument; match whole path prefixes only.
        if f"{marker}/" in cmdline and pid_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str,
    watch: Sequence[Daemon] = (), interval: float = 0.2, last_seen: object = None,
) -> None:
    """Poll condition until true; fail early if a watched daemon dies, else at timeout.

    last_seen, when given, is shown in the timeout error: what the condition saw last.
    """
    deadline = time.monotonic() + timeout
    while True:
        for daemon in watch:
            daemon.check()
        if condition():
            return
        if time.monotonic() > deadline:
            seen = f"; last seen: {last_seen}" if last_seen is not None else ""
            raise SandboxError(f"timed out after {timeout:.0f} s waiting for {what}{seen}")
        time.sleep(interval)
