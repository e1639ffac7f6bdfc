"""The app a Celery worker runs: `celery -A cephmaint.worker:app worker` (or `cephmaint worker`).

A worker's start is an edge: its settings are read here, once, from CEPHMAINT_* variables.
With CEPHMAINT_METRICS_PORT it serves its own metrics there (workflows.worker_metrics).
"""

from __future__ import annotations

import os

from ceph_tasks.settings import Settings
from workflows import worker_metrics
from workflows.engine import worker_app

settings = Settings.from_env()
if settings.metrics_port:
    # Before anything loads prometheus_client: its children count into this folder.
    os.environ[worker_metrics.MULTIPROC_ENV] = str(worker_metrics.prepare(
        settings.state_home.expanduser() / "metrics" / f"worker-{settings.metrics_port}"))
app = worker_app(settings)
if settings.metrics_port:
    worker_metrics.install(app, settings.metrics_port, settings.metrics_address)
