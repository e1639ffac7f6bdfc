"""A Celery app on the in-memory broker and store, for the CLI's control commands."""

from __future__ import annotations

from celery import Celery

from dyrygent.memory_store import MemoryStore
from dyrygent.tasks import register_workflow_processor

app = Celery("cli-component", broker="memory://", set_as_current=False)
processor = register_workflow_processor(app, store=MemoryStore())
