"""A real, private Prometheus Alertmanager on a free loopback port, for integration tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.poll import poll
from tests.support.services import free_port, process_state

BINARY = "/usr/bin/prometheus-alertmanager"

# One receiver that goes nowhere: enough for silences, which never need a notification.
CONFIG = """\
route:
  receiver: 'null'
receivers:
  - name: 'null'
"""


@contextmanager
def private_alertmanager(workdir: Path, timeout: float = 30.0) -> Iterator[str]:
    """Run Debian's prometheus-alertmanager with gossip off; yield its base URL."""
    binary = shutil.which("prometheus-alertmanager") or BINARY
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    config.write_text(CONFIG)
    storage = workdir / "data"
    storage.mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / "alertmanager.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.path={storage}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, proc, timeout, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float, log_path: Path) -> None:
    def ready() -> bool:
        try:
            return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    poll(ready, timeout=timeout, interval=0.1, give_up=lambda: proc.poll() is not None,
         what=lambda _: f"alertmanager at {url} ready ({process_state(proc)}); see {log_path}")
