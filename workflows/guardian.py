"""The finaliser path: when a maintenance workflow fails or is cancelled, undo its changes.

A guardian task is started beside every maintenance workflow. It repeats (a Celery retry,
durable in the broker like any task) until the workflow ends. On FAILURE or CANCELLED it
runs the plan's finalisers (restore flags, lift downtimes) one by one, each recorded in the
ledger so that a re-delivered guardian does not run them twice; on SUCCESS it does nothing.
An operator's retry starts a new generation: the guardian watches again and, should the
workflow fail again, restores again.

A guardian's message held by a worker that died is sent again by the other workers'
watch (workflows.guardian_watch) once it missed a look, under a new token; the old
message, should the broker ever hand it back, is no longer the current one and stops.

The guardian also keeps the maintenance's lease on its cluster: renewed on every look,
released when the workflow succeeded or its finalisers are done, but kept while a failed
workflow that moved data waits for a retry or a cancel. A lease found gone (the
workers were away longer than its time) is taken again when the cluster allows; when it
does not, another maintenance took the cluster meanwhile, and the workflow is paused.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, NoReturn

from celery import Celery, Task, shared_task
from celery.result import AsyncResult

from ceph_tasks.app import settings_of
from ceph_tasks.decisions.restoration import PREFIXES, Kind
from ceph_tasks.ledger import Ledger
from ceph_tasks.ledger_mirror import settle
from ceph_tasks.names import TaskName
from ceph_tasks.tasks.context import context_of
from dyrygent.handle import WorkflowHandle
from dyrygent.states import WorkflowState
from dyrygent.tasks import processor_for
from workflows.errors import ClusterBusy
from workflows.guardian_watch import on_worker_ready, watch_of
from workflows.lease_taking import LEASE_KEY, take_lease
from workflows.leases import RedisLeases
from workflows.plan import Phase

log = logging.getLogger(__name__)

GUARDIAN_TASK = "cephmaint.finalise_on_stop"
#: Seconds between two looks at the workflow's state.
DEFAULT_INTERVAL = 5.0
#: Seconds between seeing a workflow stopped and reading the cluster to undo its changes.
SETTLE_SECONDS = 3.0


def generation_key() -> str:
    """Ledger key of the current generation (1 at submit, one more per operator retry)."""
    return "generation"


def token_key() -> str:
    """Ledger key of the current guardian's task id: an older message stops at once."""
    return "guardian-task"


def stopped_key(generation: int) -> str:
    """Ledger key of when the guardian of a generation first saw its workflow stopped."""
    return f"stopped-seen:{generation}"


def finalised_key(generation: int, step_id: str) -> str:
    """Ledger key recording that a finaliser step ran in a generation."""
    return f"finalised:{generation}:{step_id}"


@shared_task(bind=True, name=GUARDIAN_TASK, max_retries=None, acks_late=True)  # type: ignore[untyped-decorator]
def finalise_on_stop(self: Task, workflow_id: str, generation: int,
                     interval: float = DEFAULT_INTERVAL) -> dict[str, Any]:
    """Wait for the workflow to end; if it failed or was cancelled, run its finalisers."""
    context = context_of(self.app)
    ledger = context.ledger
    current = ledger.recall(workflow_id, generation_key())
    if current is None:
        # Its submit was rolled back: there is no workflow to watch.
        return {"workflow": workflow_id, "abandoned": True}
    if current != generation:
        return {"workflow": workflow_id, "superseded_by": current}
    token = ledger.recall(workflow_id, token_key())
    if token is not None and token != self.request.id:
        return {"workflow": workflow_id, "superseded_by_task": token}
    watch = watch_of(self.app)
    grace = settings_of(self.app).rescue_after_seconds

    def again(countdown: float) -> NoReturn:
        watch.expect(workflow_id, countdown + grace)
        raise self.retry(countdown=countdown)
    processor = processor_for(self.app)
    if processor is None:
        raise RuntimeError(f"app {self.app.main} has no workflow processor")
    handle = processor.handle(workflow_id)
    # Read once, before anything: an operator's retry meanwhile notes a new token, which
    # this run, of the older generation, must not release.
    lease = ledger.recall(workflow_id, LEASE_KEY)
    state = handle.status().state
    if not state.finished:
        keep_lease(self.app, ledger, handle, lease)
        again(interval)
    if state == WorkflowState.SUCCESS:
        _ended(self.app, ledger, workflow_id, lease)
        return {"workflow": workflow_id, "state": str(state), "finalised": []}
    # A change a stopped step sent just before it stopped can still be in the monitors'
    # proposal (paxos_propose_interval, 1 s by default) and not yet in what the finalisers
    # read: they run once the cluster has had SETTLE_SECONDS to commit it.
    now = context.now()
    seen = datetime.fromisoformat(str(ledger.remember(
        workflow_id, stopped_key(generation), now.isoformat())))
    waited = (now - seen).total_seconds()
    if waited < SETTLE_SECONDS:
        keep_lease(self.app, ledger, handle, lease)
        again(SETTLE_SECONDS - waited)
    plan = ledger.recall(workflow_id, "plan") or {}
    done, failed = [], []
    for step in plan.get("finalisers", []):
        key = finalised_key(generation, step["id"])
        if ledger.recall(workflow_id, key) is not None:
            continue
        if step["phase"] == str(Phase.ROLLBACK) and state != WorkflowState.CANCELLED:
            continue  # a failed drain waits, partly drained, for a retry or a cancel
        if step["task"] in ON_A_WORKER:
            result = _on_a_worker(self.app, ledger, workflow_id, generation, step)
            if result is None:
                # Still under way (a throttled rollback takes its steps and its time): the
                # finalisers after it (flags, downtimes) wait for it, as in the plan, and
                # the cluster stays leased.
                keep_lease(self.app, ledger, handle, lease)
                again(interval)
        else:
            # The others run here, in order, eagerly: they are few, short and idempotent,
            # and one that fails must not keep the others from restoring what they can.
            result = self.app.tasks[step["task"]].apply(kwargs=step["kwargs"])
        if result.failed():
            log.error("finaliser %s of %s failed: %s", step["id"], workflow_id, result.result)
            failed.append({"step": step["id"], "error": str(result.result)})
            continue
        ledger.remember(workflow_id, key, {"state": "SUCCESS"})
        done.append(step["id"])
    if failed:
        # Try again later: a restore that failed (an unreachable Alertmanager) must not be
        # forgotten; the ones that succeeded are recorded and will not run again. The
        # cluster stays leased until they have.
        keep_lease(self.app, ledger, handle, lease)
        again(max(interval, 30.0))
    if state == WorkflowState.FAILURE and _moved_data(ledger, workflow_id):
        # Its data moves wait, partly done, for the operator's retry or cancel (each starts
        # a new generation, which supersedes this one): the cluster is still in this
        # maintenance, and no other may start on it meanwhile.
        keep_lease(self.app, ledger, handle, lease)
        again(max(interval, 30.0))
    _ended(self.app, ledger, workflow_id, lease)
    return {"workflow": workflow_id, "state": str(state), "finalised": done}


def _ended(app: Celery, ledger: Ledger, workflow_id: str, lease: dict[str, Any] | None) -> None:
    """The maintenance is over: its copies on the cluster dropped, its lease given up."""
    settle(ledger, workflow_id)
    release_lease(app, workflow_id, lease)
    watch_of(app).forget(workflow_id)


def _moved_data(ledger: Ledger, workflow_id: str) -> bool:
    """Whether the maintenance changed CRUSH weights (recorded before the first change)."""
    prefix = PREFIXES[Kind.WEIGHTS]
    return any(key.startswith(prefix) for key in ledger.entries(workflow_id))


def finaliser_task_key(generation: int, step_id: str) -> str:
    """Ledger key of the task id a finaliser was sent to a worker under."""
    return f"finaliser-task:{generation}:{step_id}"


#: Finalisers that repeat (a Celery retry per step): sent to a worker and looked at on each
#: pass, since a repeating task run eagerly would retry at once, without its interval.
ON_A_WORKER = frozenset({str(TaskName.REWEIGHT)})


def _on_a_worker(app: Celery, ledger: Ledger, workflow_id: str, generation: int,
                 step: dict[str, Any]) -> AsyncResult | None:
    """The finished result of a finaliser run on a worker; None while it runs (sent once)."""
    sent = finaliser_task_key(generation, step["id"])
    task_id = ledger.recall(workflow_id, sent)
    if not isinstance(task_id, str):
        task_id = f"{workflow_id}.{step['id']}.{generation}.{uuid.uuid4().hex[:8]}"
        # Sent before it is recorded: a guardian lost in between sends it again, and the
        # task, idempotent, does its steps once.
        app.send_task(step["task"], kwargs=step["kwargs"], task_id=task_id)
        ledger.remember(workflow_id, sent, task_id)
    result = AsyncResult(task_id, app=app)
    if not result.ready():
        return None
    if result.failed():
        ledger.forget(workflow_id, sent)  # the next pass sends it again
    return result


def keep_lease(app: Celery, ledger: Ledger, handle: WorkflowHandle,
               lease: dict[str, Any] | None) -> None:
    """Renew the workflow's lease; take it again if it expired, else pause the workflow."""
    if not lease:
        return  # submitted before leases were kept
    leases = RedisLeases.from_url(settings_of(app).redis_url)
    if leases.renew(lease["cluster"], handle.id, lease["token"]):
        return
    if ledger.recall(handle.id, LEASE_KEY) != lease:
        return  # an operator's retry took it anew: its own guardian keeps it
    plan = ledger.recall(handle.id, "plan") or {}
    try:
        token = take_lease(app, lease["cluster"], handle.id, plan.get("hosts", []))
    except ClusterBusy as e:
        if handle.status().state == WorkflowState.RUNNING:
            log.error("workflow %s lost its lease on %s and cannot take it again; paused: %s",
                      handle.id, lease["cluster"], e.reason)
            handle.pause()
        return
    log.warning("workflow %s lost its lease on %s (its guardian was away longer than the "
                "lease time) and took it again", handle.id, lease["cluster"])
    ledger.note(handle.id, LEASE_KEY, {"cluster": lease["cluster"], "token": token})


def release_lease(app: Celery, workflow_id: str, lease: dict[str, Any] | None) -> None:
    """Give the workflow's lease on its cluster up (by its token: a newer one stays)."""
    if lease:
        RedisLeases.from_url(settings_of(app).redis_url).release(
            lease["cluster"], workflow_id, lease["token"])


def start_guardian(celery_app: Celery, ledger: Ledger, workflow_id: str, generation: int,
                   interval: float = DEFAULT_INTERVAL, countdown: float | None = None) -> None:
    """Record the generation and start its guardian (its first look after countdown)."""
    first = interval if countdown is None else countdown
    task_id = f"guardian.{workflow_id}.{generation}.{uuid.uuid4().hex[:8]}"
    ledger.note(workflow_id, generation_key(), generation)
    ledger.note(workflow_id, token_key(), task_id)
    watch_of(celery_app).expect(workflow_id, first + settings_of(celery_app).rescue_after_seconds)
    celery_app.send_task(GUARDIAN_TASK, kwargs={"workflow_id": workflow_id,
                                                "generation": generation,
                                                "interval": interval},
                         countdown=first, task_id=task_id)


def rescue_guardian(app: Celery, workflow_id: str) -> None:
    """Send a fresh guardian for a workflow whose guardian missed its look."""
    ledger = context_of(app).ledger
    generation = ledger.recall(workflow_id, generation_key())
    if generation is None:
        watch_of(app).forget(workflow_id)  # its submit was rolled back
        return
    log.warning("the guardian of %s missed its look (its worker died?): sent again",
                workflow_id)
    start_guardian(app, ledger, workflow_id, int(generation), countdown=0)


on_worker_ready(rescue_guardian, DEFAULT_INTERVAL)
