"""Handing a plan to the engine: record it, start its workflow and its guardian; retry it.

The only module of workflows that talks to the broker and the engine; nothing on the
planning side imports it.
"""

from __future__ import annotations

from typing import Any

import redis
from celery import Celery
from kombu.exceptions import OperationalError

from ceph_tasks.app import settings_of
from ceph_tasks.decisions.windows import WINDOW_OVERRIDE_KEY
from ceph_tasks.http import strip_credentials
from ceph_tasks.ledger import RedisLedger
from dyrygent.handle import WorkflowHandle
from dyrygent.states import WorkflowState
from dyrygent.workflows import Workflow
from workflows.engine import processor_of
from workflows.errors import ControlRefused, SubmitError
from workflows.guardian import generation_key, start_guardian
from workflows.plan import MaintenancePlan, setup_to_redo

#: Seconds a setup step re-run by an operator's retry may take.
SETUP_TIMEOUT = 300.0
#: Seconds to wait for the broker before a submit is given up, nothing written.
BROKER_TIMEOUT = 5.0


def to_workflow(plan: MaintenancePlan, app: Celery, *, deadline: float | None = None
                ) -> Workflow:
    """The dyrygent workflow of a plan; its id is the plan's reference."""
    wf = Workflow(plan.reference, deadline=deadline)
    for step in plan.steps:
        signature = app.signature(str(step.task), kwargs=step.kwargs, immutable=True)
        wf.add_signature(signature, dependencies=step.after, node_id=step.id,
                         timeout=step.timeout)
    return wf


def submit(plan: MaintenancePlan, app: Celery, *, deadline: float | None = None,
           window_override: dict[str, Any] | None = None) -> WorkflowHandle:
    """Record the plan (for status) and start its workflow and guardian; the engine's handle.

    Redis and the broker are reached first: when either cannot be, nothing is written.
    window_override (an operator's reason to start outside the maintenance windows) is
    recorded with the plan, where every step that waits for windows reads it.
    """
    check_services(app)
    ledger = RedisLedger.from_url(settings_of(app).redis_url)
    ledger.remember(plan.reference, "plan", plan.to_dict())
    if window_override is not None:
        ledger.remember(plan.reference, WINDOW_OVERRIDE_KEY, window_override)
    workflow = to_workflow(plan, app, deadline=deadline)
    handle = workflow.apply_async(processor_of(app))
    start_guardian(app, ledger, plan.reference, generation=1)
    return handle


def check_services(app: Celery, timeout: float = BROKER_TIMEOUT) -> None:
    """Raise SubmitError unless the app's Redis and broker both accept a connection now."""
    settings = settings_of(app)
    try:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=timeout,
                                      socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as e:
        where = strip_credentials(settings.redis_url)
        raise SubmitError(f"the Redis at {where} cannot be reached: {e}") from e
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except (OperationalError, OSError) as e:
        where = strip_credentials(settings_of(app).broker_url)
        raise SubmitError(f"the broker at {where} cannot be reached: {e}") from e


def recorded_plan(app: Celery, reference: str) -> dict[str, Any]:
    """The plan recorded when a maintenance was submitted (empty for a bare workflow)."""
    ledger = RedisLedger.from_url(settings_of(app).redis_url)
    plan = ledger.recall(reference, "plan")
    return plan if isinstance(plan, dict) else {}


def retry(handle: WorkflowHandle, app: Celery) -> list[str]:
    """Retry a failed maintenance: redo the setup its finalisers undid, then go on.

    The setup steps that had succeeded (flags, downtimes) run again first, on the workers:
    the finalisers restored them, and the steps left to run expect them. Returns the ids of
    the setup steps that ran again. A workflow still running is refused: nothing to retry.
    """
    state = handle.status().state
    if state != WorkflowState.FAILURE:
        raise ControlRefused(f"workflow {handle.id} is {state}: only a failed workflow can "
                             "be retried")
    ledger = RedisLedger.from_url(settings_of(app).redis_url)
    plan = recorded_plan(app, handle.id)
    redone = []
    for step in setup_to_redo(plan.get("steps", []),
                              lambda node: handle.node(node)["state"] == "SUCCESS"):
        app.send_task(step["task"], kwargs=step["kwargs"]).get(
            timeout=SETUP_TIMEOUT, propagate=True)
        redone.append(step["id"])
    generation = int(ledger.recall(handle.id, generation_key()) or 1) + 1
    handle.retry()
    start_guardian(app, ledger, handle.id, generation)
    return redone
