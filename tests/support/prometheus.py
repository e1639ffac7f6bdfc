"""A real, private Prometheus (Debian's) scraping cephmaint, and the dashboards' queries.

It runs the repo's own scrape configuration (monitoring/prometheus.yml) with the targets,
the token file and the interval a test gives, so that a mistake in that file fails here.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.support.poll import poll
from tests.support.services import free_port, process_state
from tests.support.worker import ROOT, stop

CONFIG = ROOT / "monitoring" / "prometheus.yml"
DASHBOARDS = ROOT / "monitoring" / "grafana"


@dataclass(frozen=True)
class Prometheus:
    """A running Prometheus: its URL, and queries over a time range as a dashboard asks."""

    url: str

    def query_range(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        """The series an expression gives between start and end (one point a second)."""
        answer = requests.get(f"{self.url}/api/v1/query_range", timeout=10, params={
            "query": expr, "start": start, "end": end, "step": 1}).json()
        if answer.get("status") != "success":
            raise AssertionError(f"Prometheus refused {expr!r}: {answer}")
        return list(answer["data"]["result"])

    def targets_up(self) -> dict[str, str]:
        """Each scrape job's target health (up, down, unknown)."""
        answer = requests.get(f"{self.url}/api/v1/targets", timeout=10).json()
        return {t["labels"]["job"]: t["health"] for t in answer["data"]["activeTargets"]}


@contextmanager
def private_prometheus(workdir: Path, *, serve: str, token: str, workers: list[str],
                       interval: str = "1s") -> Iterator[Prometheus]:
    """Debian's prometheus with the repo's scrape config aimed at serve and the workers."""
    workdir.mkdir(parents=True, exist_ok=True)
    token_file = workdir / "token"
    token_file.write_text(token)
    config = yaml.safe_load(CONFIG.read_text())
    config["global"]["scrape_interval"] = interval
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    jobs["cephmaint"]["authorization"]["credentials_file"] = str(token_file)
    jobs["cephmaint"]["static_configs"] = [{"targets": [serve]}]
    jobs["cephmaint-workers"]["static_configs"] = [{"targets": workers}]
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["prometheus", f"--config.file={path}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Prometheus(f"http://127.0.0.1:{port}")
    try:
        poll(lambda: _ready(server.url), timeout=60, interval=0.2,
             give_up=lambda: proc.poll() is not None,
             what=f"Prometheus ready ({process_state(proc)}; log {log})")
        yield server
    finally:
        stop(proc)


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/-/ready", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def panel_queries(variables: dict[str, str]) -> dict[str, str]:
    """Every panel's query in the repo's dashboards, by dashboard and panel title, with the
    dashboards' variables filled in as Grafana would."""
    queries = {}
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel["targets"]:
                expr = target["expr"]
                for name, value in variables.items():
                    expr = expr.replace(f"${name}", value)
                queries[f"{board['title']} / {panel['title']} / {target['refId']}"] = expr
    return queries


def promtool_check(text: str) -> str:
    """What Prometheus's own linter says of an exposition (empty: nothing to say)."""
    done = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                          capture_output=True, timeout=30, check=False)
    if done.returncode not in (0, 3):  # 3: lint problems, printed; other: unreadable
        raise AssertionError(f"promtool could not read the metrics: {done.stderr}")
    return (done.stdout + done.stderr).strip()
