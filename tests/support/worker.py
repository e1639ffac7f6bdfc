"""A real `celery worker` subprocess for integration tests, stopped with its pool."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.support.poll import poll
from tests.support.services import process_state

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def celery_worker(
    app: str, logdir: Path, env: Mapping[str, str], *, name: str = "w",
    concurrency: int = 2, queues: str | None = None, timeout: float = 60,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a prefork worker of app (module:attr) until the block ends; wait until it consumes."""
    logdir.mkdir(parents=True, exist_ok=True)
    log = logdir / f"{name}.log"
    cmd = [sys.executable, "-m", "celery", "-A", app, "worker", "-P", "prefork",
           "-c", str(concurrency), "-n", f"{name}@%h", "--without-heartbeat",
           "--without-gossip", "--without-mingle", "-l", "info", "--logfile", str(log)]
    if queues:
        cmd += ["-Q", queues]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_started(proc, log, name=name, timeout=timeout)
        yield proc
    finally:
        stop(proc)


def wait_started(proc: subprocess.Popen[bytes], log: Path, *, name: str,
                 timeout: float) -> None:
    """Wait until a worker's log says it consumes; fail at once if the worker exits."""
    poll(lambda: log.exists() and " ready." in log.read_text(errors="replace"),
         timeout=timeout, interval=0.1, give_up=lambda: proc.poll() is not None,
         what=lambda _: (f"celery worker {name} to start ({process_state(proc)}); "
                         f"{log}:\n{_tail(log)}"))


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a worker warmly, then kill its whole process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
