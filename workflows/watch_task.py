"""The periodic look of `cephmaint watch` at every cluster, run on the workers' beat."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from celery import Task, shared_task

from ceph_tasks.app import settings_of
from ceph_tasks.errors import CephTaskError
from workflows.engine import WATCH_TASK
from workflows.errors import WorkflowsError
from workflows.watching import Watcher

log = logging.getLogger(__name__)


@shared_task(bind=True, name=WATCH_TASK, ignore_result=True)  # type: ignore[untyped-decorator]
def watch(self: Task[Any, Any]) -> list[dict[str, Any]]:
    """One look at every cluster of the inventory, each on its own failure policy."""
    watcher = Watcher(self.app, now=lambda: datetime.now(UTC))
    found = []
    for cluster in settings_of(self.app).inventory().clusters:
        try:
            outcomes = watcher.look(cluster)
        except (CephTaskError, WorkflowsError) as e:
            # One cluster out of reach must not blind the watch to the others.
            log.warning("watch: cluster %s could not be looked at: %s", cluster.name, e)
            continue
        for outcome in outcomes:
            log.info("watch: cluster %s: %s", cluster.name, outcome.to_dict())
            found.append({"cluster": cluster.name, **outcome.to_dict()})
    return found
