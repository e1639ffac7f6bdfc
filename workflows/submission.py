"""Handing a plan to the engine: take the lease, record it, start workflow and guardian; retry.

The only module of workflows that talks to the broker and the engine; nothing on the
planning side imports it.
"""

from __future__ import annotations

import getpass
import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from celery import Celery
from kombu.exceptions import OperationalError

from ceph_tasks.app import settings_of
from ceph_tasks.decisions.windows import WINDOW_OVERRIDE_KEY
from ceph_tasks.http import strip_credentials
from ceph_tasks.ledger import RedisLedger
from ceph_tasks.ledger_mirror import CLUSTER_KEY
from ceph_tasks.redis_client import connect
from dyrygent.errors import DispatchError
from dyrygent.handle import WorkflowHandle
from dyrygent.redis_store import RedisStore
from dyrygent.states import WorkflowState
from dyrygent.tasks import WorkflowProcessor
from dyrygent.workflows import Workflow
from workflows.audit import operator_action
from workflows.concurrency import Concurrency
from workflows.engine import processor_of
from workflows.errors import ControlRefused, StartRefused, SubmitError
from workflows.guardian import DEFAULT_INTERVAL, generation_key, start_guardian, token_key
from workflows.guardian_watch import watch_of
from workflows.lease_taking import LEASE_KEY, take_lease
from workflows.leases import RedisLeases
from workflows.plan import MaintenancePlan, setup_to_redo
from workflows.queueing import START_QUEUED_TASK, RedisQueue
from workflows.registry import RedisRegistry, Started

log = logging.getLogger(__name__)

#: Seconds a setup step re-run by an operator's retry may take.
SETUP_TIMEOUT = 300.0
#: Seconds to wait for the broker before a submit is given up, nothing written.
BROKER_TIMEOUT = 5.0


def to_workflow(plan: MaintenancePlan, app: Celery, *, deadline: float | None = None
                ) -> Workflow:
    """The dyrygent workflow of a plan; its id is the plan's reference."""
    return workflow_of(plan.to_dict(), app, deadline=deadline)


def workflow_of(plan: dict[str, Any], app: Celery, *, deadline: float | None = None
                ) -> Workflow:
    """The dyrygent workflow of a recorded plan (MaintenancePlan.to_dict())."""
    wf = Workflow(plan["reference"], deadline=deadline)
    for step in plan["steps"]:
        signature = app.signature(step["task"], kwargs=step["kwargs"], immutable=True)
        wf.add_signature(signature, dependencies=tuple(step["after"]), node_id=step["id"],
                         timeout=step["timeout"])
    return wf


def submit(plan: MaintenancePlan, app: Celery, *, deadline: float | None = None,
           concurrency: Concurrency | None = None,
           window_override: dict[str, Any] | None = None,
           volatile_ok: bool = False) -> WorkflowHandle:
    """Take the cluster's lease, record the plan, start its guardian and workflow.

    Redis and the broker are reached first: when either cannot be, nothing is written.
    ClusterBusy when another maintenance holds the lease or a host, nothing written. The
    limit and guard of maintenances together are the inventory's unless given.
    window_override (an operator's reason to start outside the maintenance windows) is
    recorded with the plan, where every step that waits for windows reads it. volatile_ok
    lets it run on a Redis without persistence (check_services).
    """
    check_services(app, volatile_ok=volatile_ok)
    return start(plan.to_dict(), app, deadline=deadline, concurrency=concurrency,
                 window_override=window_override)


def start(plan: dict[str, Any], app: Celery, *, deadline: float | None = None,
          concurrency: Concurrency | None = None,
          window_override: dict[str, Any] | None = None,
          by: str | None = None) -> WorkflowHandle:
    """Start a recorded plan: lease, record, guardian, workflow; all undone if one fails.

    The guardian's message is the first the broker takes: a workflow never runs unguarded,
    and when the broker refuses, nothing has run yet and everything written is taken back
    (SubmitError). by: who started it, for `cephmaint list` (default: this process's
    user; a queued maintenance names who queued it).
    """
    reference, cluster = plan["reference"], plan["cluster"]
    token = take_lease(app, cluster, reference, plan["hosts"], concurrency=concurrency)
    ledger = RedisLedger.from_url(settings_of(app).redis_url)
    processor = processor_of(app)
    who = by or getpass.getuser()
    said = {"kind": plan["kind"], "hosts": plan["hosts"], "window_override": window_override}
    try:
        # Written once the lease is taken: a start refused for a busy cluster leaves nothing.
        with operator_action(app, "start", reference, who=who, cluster=cluster, details=said):
            ledger.remember(reference, "plan", plan)
            ledger.remember(reference, CLUSTER_KEY, cluster)
            if window_override is not None:
                ledger.remember(reference, WINDOW_OVERRIDE_KEY, window_override)
            ledger.note(reference, LEASE_KEY, {"cluster": cluster, "token": token})
            RedisRegistry.from_url(settings_of(app).redis_url).add(
                cluster, Started(reference, time.time(), who))
            start_guardian(app, ledger, reference, generation=1)
            return workflow_of(plan, app, deadline=deadline).apply_async(processor)
    except BaseException as e:
        _roll_back(app, ledger, processor, plan, token)
        if isinstance(e, DispatchError | OperationalError | OSError):
            where = strip_credentials(settings_of(app).broker_url)
            raise SubmitError(f"the broker at {where} did not take the start of {reference}, "
                              f"nothing was left behind: {e}") from e
        raise


def enqueue(plan: MaintenancePlan, app: Celery, *, deadline: float | None = None,
            interval: float = DEFAULT_INTERVAL,
            window_override: dict[str, Any] | None = None, after: str | None = None) -> int:
    """Queue a maintenance until its cluster's lease frees; its position (1 is next).

    A task looks every interval and starts it once it is first and the lease can be taken;
    with after, once that maintenance (which holds its hosts) has released its lease too.
    The entry says who queued it (this process's user) and when.
    """
    queue = RedisQueue.from_url(settings_of(app).redis_url)
    who = getpass.getuser()
    said = {"kind": plan.kind, "hosts": list(plan.hosts), "window_override": window_override,
            "after": after}
    with operator_action(app, "queue", plan.reference, who=who, cluster=plan.cluster,
                         details=said) as ended:
        position = queue.enqueue(plan.cluster, plan.reference, plan.hosts,
                                 {"plan": plan.to_dict(), "deadline": deadline,
                                  "window_override": window_override, "after": after,
                                  "by": who, "queued_at": time.time()})
        ended.value = {"position": position}
        try:
            app.send_task(START_QUEUED_TASK, kwargs={"cluster": plan.cluster,
                                                     "reference": plan.reference,
                                                     "interval": interval})
        except (OperationalError, OSError) as e:
            queue.remove(plan.cluster, plan.reference)
            where = strip_credentials(settings_of(app).broker_url)
            raise SubmitError(f"the broker at {where} cannot be reached: {e}") from e
    return position


def _roll_back(app: Celery, ledger: RedisLedger, processor: WorkflowProcessor,
               plan: dict[str, Any], token: int) -> None:
    # Each part on its own: one that fails must not keep the others from being undone.
    reference = plan["reference"]
    leases = RedisLeases.from_url(settings_of(app).redis_url)
    undo: list[Callable[[], object]] = [
        lambda: _delete_workflow(processor, reference),
        lambda: ledger.forget(reference, "plan"),
        lambda: ledger.forget(reference, CLUSTER_KEY),
        lambda: ledger.forget(reference, WINDOW_OVERRIDE_KEY),
        lambda: ledger.forget(reference, LEASE_KEY),
        lambda: ledger.forget(reference, generation_key()),
        lambda: ledger.forget(reference, token_key()),
        lambda: watch_of(app).forget(reference),
        lambda: leases.release(plan["cluster"], reference, token),
        lambda: RedisRegistry.from_url(settings_of(app).redis_url).remove(
            plan["cluster"], [reference]),
    ]
    for step in undo:
        try:
            step()
        except Exception:  # the original error is the one to report
            log.exception("could not undo part of the submit of %s", reference)


def _delete_workflow(processor: WorkflowProcessor, reference: str) -> None:
    store = processor.store
    if isinstance(store, RedisStore):
        store.delete(reference)


def check_services(app: Celery, timeout: float = BROKER_TIMEOUT,
                   volatile_ok: bool = False) -> None:
    """Raise SubmitError unless the app's Redis and broker both accept a connection now.

    StartRefused when the Redis keeps the state without an append-only file, unless
    volatile_ok: a restart would then lose every maintenance's state and the record of
    what each changed on its cluster.
    """
    settings = settings_of(app)
    where = strip_credentials(settings.redis_url)
    try:
        client = connect(settings.redis_url, socket_connect_timeout=timeout,
                         socket_timeout=timeout)
        try:
            client.ping()
            durable = bool(client.info("persistence").get("aof_enabled"))
        finally:
            client.close()
    except redis.RedisError as e:
        raise SubmitError(f"the Redis at {where} cannot be reached: {e}") from e
    if not durable and not volatile_ok:
        raise StartRefused(
            f"the Redis at {where} keeps the workflows' state without an append-only file "
            "(appendonly no): a restart would lose every maintenance's state and the record "
            "of what it changed on its cluster, half done; turn appendonly on (README, "
            "Running in production), or pass --volatile-state to take that risk; nothing "
            "was written")
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


def cancel(handle: WorkflowHandle, app: Celery) -> None:
    """Cancel a maintenance; one that had failed gets a guardian again, to roll it back.

    The guardian of a failed workflow restored its flags and downtimes and ended; a drain
    it left partly done is rolled back only on a cancel, by this new generation, which
    takes the cluster's lease again for the data it moves.
    """
    failed = handle.status().state == WorkflowState.FAILURE
    handle.cancel()
    if not failed:
        return
    ledger = RedisLedger.from_url(settings_of(app).redis_url)
    plan = recorded_plan(app, handle.id)
    if plan:
        token = take_lease(app, plan["cluster"], handle.id, plan["hosts"], replace_own=True)
        ledger.note(handle.id, LEASE_KEY, {"cluster": plan["cluster"], "token": token})
    generation = int(ledger.recall(handle.id, generation_key()) or 1) + 1
    start_guardian(app, ledger, handle.id, generation)


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
    if plan:
        # The guardian gave the lease up when the workflow failed: take it again, under a
        # new token (a late release by the old generation's guardian is then refused).
        token = take_lease(app, plan["cluster"], handle.id, plan["hosts"], replace_own=True)
        ledger.note(handle.id, LEASE_KEY, {"cluster": plan["cluster"], "token": token})
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
