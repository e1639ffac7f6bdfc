"""The Celery app component tests call the tasks on, in-process, with a context of fakes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery

from ceph_tasks.app import make_app
from ceph_tasks.settings import Settings


@pytest.fixture
def task_app() -> Iterator[Celery]:
    """A cephmaint app made current: a task called directly runs on it, as on a worker."""
    app = make_app(Settings(), name="component")
    app.set_current()
    yield app
