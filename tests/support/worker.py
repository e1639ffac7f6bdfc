"""A real `celery worker` subprocess for integration tests, stopped with its pool."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

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
        deadline = time.monotonic() + timeout
        while not (log.exists() and " ready." in log.read_text(errors="replace")):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"celery worker {name} did not start; {log}:\n{tail}")
            time.sleep(0.1)
        yield proc
    finally:
        stop(proc)


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
