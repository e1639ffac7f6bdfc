"""The Celery app of workers and clients: every task, the workflow processor, guardian, starter."""

from __future__ import annotations

from celery import Celery

from ceph_tasks.app import make_app, settings_of
from ceph_tasks.redis_client import connect
from ceph_tasks.settings import Settings
from ceph_tasks.tasks.base import install_fence
from dyrygent.processor import Settings as EngineSettings
from dyrygent.redis_store import RedisStore
from dyrygent.tasks import WorkflowProcessor, processor_for, register_workflow_processor

#: The module of the guardian task, which restores what a failed maintenance changed.
GUARDIAN_MODULE = "workflows.guardian"
#: The module of the task that starts a queued maintenance when its cluster frees.
STARTER_MODULE = "workflows.starter"
#: The module of the periodic look for failed and failing disks (`cephmaint watch`).
WATCH_MODULE = "workflows.watch_task"
#: Its name in the beat schedule and as a task.
WATCH_TASK = "cephmaint.watch"


def worker_app(settings: Settings, name: str = "cephmaint") -> Celery:
    """An app that runs (or sends) every maintenance task and processes workflows."""
    app = make_app(settings, name)
    app.conf.include = [*app.conf.include, GUARDIAN_MODULE, STARTER_MODULE, WATCH_MODULE]
    if settings.watch_seconds:
        # Run by the worker started with --beat (celery's -B); a look not taken before
        # the next one is due is dropped, not queued behind it.
        app.conf.beat_schedule = {WATCH_TASK: {
            "task": WATCH_TASK, "schedule": settings.watch_seconds,
            "options": {"expires": settings.watch_seconds}}}
    processor = processor_of(app)
    # A cancelled step's task runs on to its end: before each change it asks whether its
    # node still wants it, so nothing it sends outlives the guardian's restore.
    install_fence(app, processor.engine.is_current)
    return app


def processor_of(app: Celery) -> WorkflowProcessor:
    """The workflow processor of a cephmaint app (state in its settings' Redis)."""
    existing = processor_for(app)
    if existing is not None:
        return existing
    settings = settings_of(app)
    store = RedisStore(connect(settings.redis_url, decode_responses=True),
                       replicas=settings.state_replicas)
    return register_workflow_processor(
        app, store=store,
        settings=EngineSettings(lease=settings.step_lease_seconds,
                                tick_rescue=settings.rescue_after_seconds,
                                keep_finished=settings.keep_finished_days * 24 * 3600))
