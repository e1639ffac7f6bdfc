"""A worker's own metrics: its steps' runs, ends and durations, and when it started.

A Celery worker runs tasks in child processes; prometheus_client's multiprocess mode adds
up what each child counted (files in the folder `prepare` empties, named in
PROMETHEUS_MULTIPROC_DIR by the worker's edge before prometheus_client is first imported),
and the worker's main process serves the sum on its
metrics port. Whether the worker is alive is Prometheus's own `up` of that target.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from celery import Celery, signals

from ceph_tasks.errors import CephTaskError
from ceph_tasks.tasks.base import first_run_key

#: Buckets of a step's duration: seconds for a check, hours for a drain or a technician.
BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 4 * 3600, 12 * 3600,
           24 * 3600, 3 * 24 * 3600)
#: The variable prometheus_client reads for its multiprocess folder.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(folder: Path) -> Path:
    """Empty the worker's metrics folder, for MULTIPROC_ENV before prometheus_client loads.

    Files left by an earlier run of the worker would be added to this one's counts.
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def install(app: Celery, port: int, host: str = "127.0.0.1") -> None:
    """Count app's maintenance steps in its children; serve the sums on host:port."""
    # Imported here: the multiprocess folder must be set before prometheus_client loads.
    from prometheus_client import (
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        multiprocess,
        start_http_server,
    )

    runs = Counter("cephmaint_step_runs", "Runs of maintenance steps (a wait runs many times)",
                   ["task"])
    ends = Counter("cephmaint_steps_ended", "Maintenance steps ended, by task and outcome",
                   ["task", "outcome"])
    seconds = Histogram("cephmaint_step_duration_seconds",
                        "A step's time from its first run to its end, by task",
                        ["task"], buckets=BUCKETS)
    started = Gauge("cephmaint_worker_start_time_seconds", "When the worker started",
                    multiprocess_mode="max")
    busy = Gauge("cephmaint_worker_steps_running", "Steps this worker runs now",
                 multiprocess_mode="livesum")
    began: dict[str, float] = {}

    def serve(**_: Any) -> None:
        started.set(time.time())
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        start_http_server(port, addr=host, registry=registry)

    def child_gone(pid: int | None = None, **_: Any) -> None:
        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]

    def before(task_id: str = "", task: Any = None, **_: Any) -> None:
        if _ours(task):
            began[task_id] = time.time()
            runs.labels(_kind(task)).inc()
            busy.inc()

    def after(task_id: str = "", task: Any = None, state: str | None = None,
              kwargs: dict[str, Any] | None = None, **_: Any) -> None:
        if not _ours(task):
            return
        busy.dec()
        start = began.pop(task_id, time.time())
        if state in ("SUCCESS", "FAILURE"):
            kind = _kind(task)
            ends.labels(kind, state.lower()).inc()
            seconds.labels(kind).observe(time.time() - _first_run(task, task_id, kwargs, start))

    signals.worker_init.connect(serve, weak=False)
    signals.worker_process_shutdown.connect(child_gone, weak=False)
    signals.task_prerun.connect(before, weak=False)
    signals.task_postrun.connect(after, weak=False)


def _ours(task: Any) -> bool:
    return str(getattr(task, "name", "")).startswith("cephmaint.")


def _kind(task: Any) -> str:
    return str(task.name).rsplit(".", 1)[-1]


def _first_run(task: Any, task_id: str, kwargs: dict[str, Any] | None, start: float) -> float:
    """When a step first ran: a repeating one kept it in the ledger, else this run."""
    reference = (kwargs or {}).get("reference")
    if not isinstance(reference, str):
        return start
    try:
        first = task.context.ledger.recall(reference, first_run_key(task_id))
        return datetime.fromisoformat(first).timestamp() if isinstance(first, str) else start
    except (CephTaskError, ValueError):
        return start
