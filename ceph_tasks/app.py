"""The one Celery app every cephmaint task is registered on."""

from __future__ import annotations

import os

from celery import Celery

from ceph_tasks.settings import Settings

#: Modules whose tasks the app registers when a worker starts.
TASK_MODULES: tuple[str, ...] = (
    "ceph_tasks.tasks.downtime",
    "ceph_tasks.tasks.flags",
    "ceph_tasks.tasks.guards",
    "ceph_tasks.tasks.health_wait",
    "ceph_tasks.tasks.addition",
    "ceph_tasks.tasks.removal",
    "ceph_tasks.tasks.reweight",
    "ceph_tasks.tasks.technicians",
)


def make_app(settings: Settings, name: str = "cephmaint") -> Celery:
    """A Celery app configured for maintenance work: JSON only, late acks, no prefetch."""
    app = Celery(name, broker=settings.broker_url, backend=settings.redis_url,
                 include=list(TASK_MODULES))
    app.conf.update(
        # JSON only: a pickled message from the broker would run code on every worker.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        # A maintenance step must survive a worker dying mid-task: ack when it is done...
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # ...and a worker holds no more steps than it runs, so others can pick them up.
        worker_prefetch_multiplier=1,
        task_track_started=True,
        broker_connection_retry_on_startup=True,
        cephmaint_settings=settings,
    )
    return app


app = make_app(Settings.from_env(os.environ))
