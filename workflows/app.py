"""The app workers run: every cephmaint task, with the workflow processor registered on it."""

from __future__ import annotations

from celery import Celery

from ceph_tasks.app import app
from ceph_tasks.settings import Settings
from dyrygent.tasks import WorkflowProcessor, register_workflow_processor


def processor_of(celery_app: Celery) -> WorkflowProcessor:
    """The workflow processor of a cephmaint app (state in its settings' Redis)."""
    settings = celery_app.conf.get("cephmaint_settings")
    redis_url = settings.redis_url if isinstance(settings, Settings) else None
    return register_workflow_processor(celery_app, redis_url=redis_url)


processor = processor_of(app)

# Registers the guardian task that restores what a failed or cancelled maintenance changed.
import workflows.guardian  # noqa: E402,F401

__all__ = ["app", "processor", "processor_of"]
