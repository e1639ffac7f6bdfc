"""Process-level probes: peak RSS of this process, Redis memory, process groups."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from pathlib import Path

import redis


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux); False where it is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_bytes() -> int:
    """Resident set size of this process now."""
    return _status_kb("VmRSS") * 1024


def peak_rss_bytes() -> int:
    """Highest resident set size of this process since the last reset."""
    return _status_kb("VmHWM") * 1024


def used_memory(client: redis.Redis[bytes]) -> int:
    """Bytes Redis has allocated for data right now."""
    return int(client.info("memory")["used_memory"])


class MemorySampler:
    """Polls Redis used_memory in a thread and keeps the peak."""

    def __init__(self, client: redis.Redis[bytes], period: float = 0.1) -> None:
        """Sample client every period seconds once started."""
        self.client = client
        self.period = period
        self.peak = used_memory(client)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            with contextlib.suppress(redis.RedisError):
                self.peak = max(self.peak, used_memory(self.client))

    def __enter__(self) -> MemorySampler:
        """Start sampling."""
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        """Stop sampling and take one last sample."""
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, used_memory(self.client))


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill a child started with start_new_session=True together with its own children."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)


def keys_bytes(client: redis.Redis[bytes], batch: int = 1000) -> int:
    """Bytes held by all keys (MEMORY USAGE, exact): the state, without connection buffers."""
    total = 0
    keys = list(client.scan_iter(count=batch))
    for start in range(0, len(keys), batch):
        pipe = client.pipeline(transaction=False)
        for key in keys[start:start + batch]:
            pipe.memory_usage(key, samples=0)
        total += sum(size or 0 for size in pipe.execute())
    return total
