"""The app a Celery worker runs: `celery -A cephmaint.worker:app worker` (or `cephmaint worker`).

A worker's start is an edge: its settings are read here, once, from CEPHMAINT_* variables.
"""

from __future__ import annotations

from ceph_tasks.settings import Settings
from workflows.engine import worker_app

app = worker_app(Settings.from_env())
