"""Monitoring downtime for a host: set and lift it on every monitoring system of its cluster.

Downtimes carry the maintenance reference, so a re-run finds the one it made (see
ceph_tasks.monitoring); the window is fixed by the first run (ceph_tasks.decisions.downtime_window).
Each backend is tried even when another fails; the error then names the ones that failed.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.downtime_window import Window, downtime_window, window_key
from ceph_tasks.errors import CephTaskError, InvalidInput, TaskFailed
from ceph_tasks.monitoring import DowntimeBackend, DowntimeRequest
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step

#: The author the monitoring systems show; together with the reference tag it marks ours.
AUTHOR = "cephmaint"


def backend_name(backend: DowntimeBackend) -> str:
    """The name a backend goes by in results and errors (icinga, alertmanager)."""
    return str(getattr(backend, "name", type(backend).__name__))


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.SET_DOWNTIME)  # type: ignore[untyped-decorator]
def set_downtime(self: MaintenanceTask, cluster: str, host: str, reference: str,
                 duration_s: float, comment: str) -> dict[str, Any]:
    """Silence a host and its services on every monitoring system; keep one already set."""
    what = f"cluster {cluster}, host {host}: set monitoring downtime"
    ctx = self.context
    with step(what):
        ctx.host(cluster, host)
        backends = ctx.downtimes(cluster)
        stored = ctx.ledger.recall(reference, window_key(host))
    try:
        window = downtime_window(None if stored is None else Window.from_json(stored),
                                 ctx.now(), duration_s)
        request = DowntimeRequest(host=host, start=window.start, end=window.end,
                                  comment=comment, author=AUTHOR, reference=reference)
    except (ValueError, InvalidInput) as e:
        refuse(what, str(e))
    with step(what):
        ctx.ledger.note(reference, window_key(host), window.to_json())
    done: list[dict[str, Any]] = []
    failed: list[str] = []
    for backend in backends:
        name = backend_name(backend)
        self.progress(cluster=cluster, host=host, doing=f"setting the downtime on {name}")
        try:
            result = backend.set_downtime(request)
        except CephTaskError as e:
            failed.append(f"backend {name}: {e}")
            continue
        done.append({"backend": name, "ids": list(result.ids), "created": result.created})
    if failed:
        raise TaskFailed(f"{what}: failed on {len(failed)} of {len(backends)} backend(s): "
                         f"{'; '.join(failed)}")
    return {"cluster": cluster, "host": host, "start": window.start.isoformat(),
            "end": window.end.isoformat(), "backends": done}


def lift_downtime(task: MaintenanceTask, cluster: str, host: str,
                  reference: str) -> dict[str, int]:
    """Remove this maintenance's downtimes of a host everywhere; none left is fine.

    The restore task calls this for every host whose downtime the ledger recorded; the
    record is dropped only once every backend is clear.
    """
    what = f"cluster {cluster}, host {host}: remove monitoring downtime"
    ctx = task.context
    with step(what):
        ctx.host(cluster, host)
        backends = ctx.downtimes(cluster)
    removed: dict[str, int] = {}
    failed: list[str] = []
    for backend in backends:
        name = backend_name(backend)
        task.progress(cluster=cluster, host=host, doing=f"removing the downtime on {name}")
        try:
            removed[name] = backend.remove_downtime(host, reference)
        except CephTaskError as e:
            failed.append(f"backend {name}: {e}")
    if failed:
        raise TaskFailed(f"{what}: failed on {len(failed)} of {len(backends)} backend(s): "
                         f"{'; '.join(failed)}")
    with step(what):
        # Only once every backend is clear: a later set_downtime then starts a new window.
        ctx.ledger.forget(reference, window_key(host))
    return removed
