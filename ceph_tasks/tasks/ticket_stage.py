"""The maintenance's ticket follows it: a comment at each stage, closed at the end.

The ticket is the one the watch opened when it proposed the replacement (given to the plan)
or the one the technicians' notification opened; before there is one, a stage has nothing
to say it on. Each stage is said once (recorded in the ledger once said), and the last
closes it once the OSD is back and its PGs are clean. A ticket a person closed already is
left closed, with the comment.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from ceph_tasks.decisions.notification_record import TICKET_KEY
from ceph_tasks.names import TaskName
from ceph_tasks.notify.ticket import check_key
from ceph_tasks.tasks.base import MaintenanceTask, refuse, step


def stage_key(stage: str) -> str:
    """The ledger key recording that a stage was said on the ticket."""
    return f"ticket-stage:{stage}"


@shared_task(bind=True, base=MaintenanceTask, name=TaskName.TICKET_STAGE)  # type: ignore[untyped-decorator]
def ticket_stage(self: MaintenanceTask, cluster: str, reference: str, stage: str, text: str,
                 close: bool = False, ticket: str | None = None) -> dict[str, Any]:
    """Say on the maintenance's ticket where it stands (once); close: and close it."""
    what = f"cluster {cluster}: ticket of {reference}: {stage}"
    ctx = self.context
    with step(what):
        if ticket is not None:
            try:
                ctx.ledger.remember(reference, TICKET_KEY, check_key(ticket))
            except ValueError as e:
                refuse(what, str(e))
        key = ctx.ledger.recall(reference, TICKET_KEY)
        tracker = ctx.tickets(cluster)
        said = ctx.ledger.recall(reference, stage_key(stage))
    if key is None or tracker is None or said is not None:
        return {"cluster": cluster, "ticket": key, "stage": stage, "said": said}
    self.fence(what)
    with step(what):
        text = f"{text}\n\n(cephmaint, maintenance {reference})"
        result = tracker.close(str(key), text) if close else tracker.comment(str(key), text)
        said = ctx.ledger.remember(reference, stage_key(stage),
                                   {"at": ctx.now().isoformat(), "result": result})
    return {"cluster": cluster, "ticket": key, "stage": stage, "said": said}
