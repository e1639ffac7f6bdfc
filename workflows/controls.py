"""An operator's controls of a maintenance, the same from the command line and the page:
pause, resume, cancel, retry and skip, each written to the audit trail with who and why."""

from __future__ import annotations

from celery import Celery

from ceph_tasks.app import settings_of
from dyrygent.handle import WorkflowHandle
from workflows.audit import operator_action
from workflows.engine import processor_of
from workflows.errors import ControlRefused
from workflows.queueing import RedisQueue
from workflows.submission import cancel, retry

#: Every control, by the name the command line and the page give it.
CONTROLS = ("pause", "resume", "cancel", "retry", "skip")


def control(app: Celery, action: str, reference: str, *, who: str, why: str = "",
            step: str = "", handle: WorkflowHandle | None = None) -> list[str]:
    """Take an operator's control of a maintenance, audited; what was done, line by line.

    A cancel of a maintenance still queued takes it out of the line. handle: the
    workflow's, when the caller has it (UnknownWorkflowError is the caller's to say
    well); otherwise it is looked up.
    """
    if action not in CONTROLS:
        raise ControlRefused(f"{action!r} is not a control: one of {', '.join(CONTROLS)}")
    if action == "cancel":
        queue = RedisQueue.from_url(settings_of(app).redis_url)
        waiting = queue.position(reference)
        if waiting is not None:
            with operator_action(app, "cancel queued", reference, who=who, why=why,
                                 cluster=waiting[0]):
                queue.remove(waiting[0], reference)
            return [f"workflow {reference}: taken out of the queue of cluster {waiting[0]}"]
    if handle is None:
        handle = processor_of(app).handle(reference)
        handle.status()  # UnknownWorkflowError before anything is written
    if action == "retry":
        with operator_action(app, "retry", reference, who=who, why=why) as done:
            done.value = {"set up again": retry(handle, app)}
        return [*(f"set up again: {s}" for s in done.value["set up again"]),
                f"workflow {reference}: retry done; now {handle.status().state}"]
    if action == "skip":
        with operator_action(app, "skip", reference, who=who, why=why,
                             details={"step": step}):
            handle.skip(step)
        return [f"workflow {reference}: step {step} skipped; now {handle.status().state}"]
    with operator_action(app, action, reference, who=who, why=why):
        if action == "cancel":
            cancel(handle, app)
        else:
            getattr(handle, action)()
    return [f"workflow {reference}: {action} done; now {handle.status().state}"]
