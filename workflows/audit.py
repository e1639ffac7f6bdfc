"""The audit trail as workflows and their operators write it: one trail per app.

A person's actions (start, queue, pause, resume, cancel, retry, skip, confirm, extend, a
window override) are written through `operator_action`, before they are taken, by the
command line and the web page alike; the changes the steps make are written by the
workers' audited clients (ceph_tasks.audit.adapters).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from celery import Celery

from ceph_tasks.app import settings_of
from ceph_tasks.audit import Kind, Scope, SqlAuditStore, Trail
from ceph_tasks.audit.trail import After
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.ledger_mirror import CLUSTER_KEY

_ATTR = "cephmaint_trail"
_LOCK = threading.Lock()


def trail_of(app: Celery) -> Trail:
    """The trail at the app's settings' audit location, opened once per app."""
    with _LOCK:
        trail: Trail | None = getattr(app, _ATTR, None)
        if trail is None:
            store = SqlAuditStore.from_url(settings_of(app).audit_location)
            trail = Trail(store, lambda: datetime.now(UTC),
                          Scope(actor=f"cephmaint on {socket.gethostname()}"))
            setattr(app, _ATTR, trail)
        return trail


@contextmanager
def operator_action(app: Celery, action: str, reference: str, *, who: str, why: str = "",
                    cluster: str | None = None,
                    details: Mapping[str, Any] | None = None) -> Iterator[After]:
    """Write a person's action on a maintenance, take it inside, write how it ended."""
    if cluster is None:
        recorded = RedisLedger.from_url(settings_of(app).redis_url).recall(reference,
                                                                           CLUSTER_KEY)
        cluster = recorded if isinstance(recorded, str) else ""
    scope = Scope(actor=who, cluster=cluster, reference=reference, step="")
    said = {**(details or {}), **({"why": why} if why else {})}
    with trail_of(app).action(Kind.OPERATOR, action, details=said, scope=scope) as after:
        yield after
