"""The Celery app of cephmaint: made from the settings at the edge, never from a global."""

from __future__ import annotations

from celery import Celery

from ceph_tasks.errors import ConfigurationError
from ceph_tasks.names import TASK_MODULES
from ceph_tasks.redis_client import celery_options
from ceph_tasks.settings import Settings


def make_app(settings: Settings, name: str = "cephmaint") -> Celery:
    """A Celery app configured for maintenance work: JSON only, late acks, no prefetch.

    The tasks are shared tasks: they join every app, and a worker imports their modules.
    """
    broker, broker_options = celery_options(settings.broker_url)
    backend, backend_options = celery_options(settings.redis_url)
    app = Celery(name, broker=broker, backend=backend, include=list(TASK_MODULES))
    app.conf.update(
        broker_transport_options=broker_options,
        result_backend_transport_options=backend_options,
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


def settings_of(app: Celery) -> Settings:
    """The settings an app was made with."""
    settings = app.conf.get("cephmaint_settings")
    if not isinstance(settings, Settings):
        raise ConfigurationError(f"app {app.main} has no cephmaint settings")
    return settings
