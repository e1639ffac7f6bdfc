"""Celery adapter: register_workflow_processor(app) wires signals, the tick task and a store."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from celery import Celery, bootsteps, signals
from celery.exceptions import OperationalError, TaskRevokedError
from celery.result import AsyncResult
from celery.worker import state as worker_state
from kombu.exceptions import KombuError

from dyrygent.errors import DispatchError, NotConfiguredError, StoreError, StoreUnavailable
from dyrygent.handle import WorkflowHandle
from dyrygent.hooks import Hooks
from dyrygent.processor import Engine, Send, Settings, parse_task_id
from dyrygent.redis_store import RedisStore
from dyrygent.store import StateStore

logger = logging.getLogger(__name__)

PROCESS_TASK = "dyrygent.process"
KICK = -1  # the seq of a processor message that only dispatches
_ATTR = "_dyrygent_processor"


class CeleryDispatcher:
    """Dispatcher that publishes with the app's producer pool."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def send(self, messages: Sequence[Send]) -> None:
        """Publish node task messages over one producer, in one batch where kombu can."""
        try:
            with self.app.producer_or_acquire() as producer, _batch(producer):
                for m in messages:
                    # The store keeps every node's result, so the result backend is not
                    # written too; stash() uses it only when the store cannot be reached.
                    self.app.send_task(m.task, args=m.args, kwargs=m.kwargs,
                                       task_id=m.task_id, producer=producer,
                                       **{**m.options, "ignore_result": True})
        except (KombuError, OSError) as e:
            # KombuError: OperationalError, and the BatchPublishError of a failed batch flush.
            # Claimed nodes stay unconfirmed; the tick re-sends them.
            raise DispatchError(f"could not publish {len(messages)} node tasks: {e}") from e

    def revoke(self, task_ids: Sequence[str]) -> None:
        """Revoke and terminate tasks on every worker."""
        self.app.control.revoke(list(task_ids), terminate=True)

    def schedule_tick(self, workflow_id: str, seq: int, countdown: float) -> None:
        """Send the processor message (ids only)."""
        try:
            self.app.send_task(PROCESS_TASK, args=[workflow_id, seq], countdown=countdown)
        except (OperationalError, OSError) as e:
            raise DispatchError(f"could not schedule the tick of {workflow_id}: {e}") from e

    def kick(self, workflow_id: str) -> None:
        """Send the processor message that dispatches what is ready (seq -1: no tick)."""
        try:
            self.app.send_task(PROCESS_TASK, args=[workflow_id, KICK])
        except (OperationalError, OSError) as e:
            raise DispatchError(f"could not kick {workflow_id}: {e}") from e

    def lookup(self, task_id: str) -> tuple[str, Any] | None:
        """Ask the result backend, when the app has one."""
        if type(self.app.backend).__name__ == "DisabledBackend":
            return None
        result = AsyncResult(task_id, app=self.app)
        state = result.state
        if state in ("SUCCESS", "FAILURE"):
            return state, result.result
        return None

    def stash(self, task_id: str, state: str, value: Any, tb: str | None = None) -> None:
        """Store a task's outcome in the result backend, when the app has one."""
        if type(self.app.backend).__name__ != "DisabledBackend":
            self.app.backend.store_result(task_id, value, state, traceback=tb)


def _batch(producer: Any) -> AbstractContextManager[Any]:
    """kombu's publish batch (one pipeline on Redis; kombu >= 5.7), else publish one by one."""
    batch = getattr(producer, "batch", None)
    return batch() if batch is not None else contextlib.nullcontext()


class Keeper:
    """A worker's thread that renews the leases of the node tasks it took and runs lost ticks.

    It runs in the worker's main process, which holds each message from its receipt (a
    retry's, through its countdown) to its end: a task is held until its node is no longer
    RUNNING at that attempt. A killed worker renews nothing, so its leases run out; a tick
    message it held is run by another worker's keeper once overdue.
    """

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine, self.interval = engine, interval
        #: Each held task id, with the worker's request for its message when known.
        self._held: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._pid = 0

    def start(self) -> None:
        """Start the thread in this process (once per process)."""
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="dyrygent-keeper", daemon=True).start()

    def add(self, tid: str, request: Any = None) -> None:
        """Hold tid's lease while its node runs and (given) request's message is unacked.

        A retry acknowledges the message it ran from and sends a new one, which another
        worker may take: this worker holds the lease only while it holds the message.
        """
        with self._lock:
            self._held[tid] = request
        self.start()

    def let_go(self, running: Collection[str]) -> list[str]:
        """Stop renewing the leases of the held tasks not running now; the ones let go.

        When the worker loses its broker connection, the messages it took but does not
        run (prefetched, or waiting out a retry's countdown) are no longer its own: they
        go back to the broker, or wait there for its visibility timeout. Renewing their
        leases would keep their nodes RUNNING that long; let go, the leases run out and
        the tick sends each node again under a new attempt. A body still running keeps
        its lease: it may still finish, and the fence stops it once a new attempt runs.
        """
        with self._lock:
            dropped = sorted(set(self._held) - set(running))
            for tid in dropped:
                del self._held[tid]
        return dropped

    @property
    def held(self) -> frozenset[str]:
        """The task ids whose leases this worker renews."""
        with self._lock:
            return frozenset(self._held)

    def beat(self) -> None:
        """Renew every held lease once; let go of the attempts that are over."""
        with self._lock:
            for tid, request in list(self._held.items()):
                if getattr(request, "acknowledged", False):
                    del self._held[tid]  # done here, or retried by a message of its own
            held = sorted(self._held)
        for tid in held:
            try:
                current = self.engine.heartbeat(tid)
            except StoreUnavailable as e:  # the next beat tries again; the lease has slack
                logger.warning("dyrygent could not renew the lease of %s: %s", tid, e)
                continue
            except Exception:
                logger.exception("dyrygent could not renew the lease of %s", tid)
                continue
            if not current:
                with self._lock:
                    self._held.pop(tid, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.beat()
            try:
                self.engine.rescue_ticks()
            except StoreUnavailable as e:  # the next round tries again
                logger.warning("dyrygent could not look for lost ticks: %s", e)
            except Exception:
                logger.exception("dyrygent could not look for lost ticks")


class LetGoOnConnectionLoss(bootsteps.StartStopStep):  # type: ignore[misc]
    """A consumer step: when the broker connection is lost, the keeper lets go of what
    the worker no longer holds (Celery stops the consumer's steps before reconnecting)."""

    def stop(self, parent: Any) -> None:
        """The connection is gone (or the worker stops): keep only the running tasks."""
        processor = processor_for(parent.app)
        if processor is None:
            return
        dropped = processor.keeper.let_go({r.id for r in worker_state.active_requests})
        if dropped:
            logger.warning("dyrygent let go of %d task(s) whose messages went with the broker "
                           "connection; their nodes run again once their leases run out: %s",
                           len(dropped), ", ".join(dropped))


class WorkflowProcessor:
    """The workflow processor of one Celery app: its engine, hooks and store."""

    def __init__(self, app: Celery, store: StateStore, settings: Settings) -> None:
        self.app = app
        self.hooks = Hooks()
        self.engine = Engine(store, CeleryDispatcher(app), self.hooks, settings=settings)
        self.keeper = Keeper(self.engine, min(settings.lease / 4, settings.tick_interval))
        app.steps["consumer"].add(LetGoOnConnectionLoss)
        self._connect()
        self.task = app.task(name=PROCESS_TASK, bind=True, acks_late=True,
                             reject_on_worker_lost=True, ignore_result=True,
                             shared=False)(_process)

    @property
    def store(self) -> StateStore:
        """The state store."""
        return self.engine.store

    def handle(self, workflow_id: str) -> WorkflowHandle:
        """Handle for any workflow id in the store."""
        return WorkflowHandle(self.engine, workflow_id)

    def _mine(self, sender: Any) -> bool:
        return getattr(sender, "app", None) is self.app

    def _connect(self) -> None:
        # Celery signals are process-wide; each receiver only acts for its own app.
        signals.task_received.connect(self._on_received, weak=False)
        signals.worker_ready.connect(self._on_worker_ready, weak=False)
        signals.task_prerun.connect(self._on_prerun, weak=False)
        signals.task_success.connect(self._on_success, weak=False)
        signals.task_failure.connect(self._on_failure, weak=False)
        signals.task_retry.connect(self._on_retry, weak=False)
        signals.task_revoked.connect(self._on_revoked, weak=False)

    def _on_worker_ready(self, sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is self.app:
            self.keeper.start()

    def _on_received(self, sender: Any = None, request: Any = None, **_: Any) -> None:
        # Runs in the worker's main process before the pool gets the task: the node
        # becomes RUNNING, and a stale attempt (re-sent or already finished) is marked
        # revoked, so its body never runs and the message is acknowledged.
        tid = getattr(request, "id", None)
        if getattr(sender, "app", None) is not self.app or not parse_task_id(tid):
            return
        try:
            run = self.engine.on_received(str(tid))
        except Exception:
            logger.exception("dyrygent could not check a received task")
            return
        if run:
            self.keeper.add(str(tid), request)
        else:
            worker_state.revoked.add(str(tid))

    def _on_prerun(self, sender: Any = None, task_id: str | None = None, args: Any = None,
                   **_: Any) -> None:
        # Celery calls the body with this very list, so filling it in here is what
        # lets big parent results stay out of the message.
        if self._mine(sender) and parse_task_id(task_id) and isinstance(args, list) and args:
            self.engine.resolve_args(str(task_id), args)

    def _on_success(self, sender: Any = None, result: Any = None, **_: Any) -> None:
        if self._mine(sender):
            tid = sender.request.id
            if parse_task_id(tid):
                self._guard(self.engine.on_success, tid, result)

    def _on_failure(self, sender: Any = None, task_id: str | None = None,
                    exception: BaseException | None = None, einfo: Any = None,
                    **_: Any) -> None:
        if self._mine(sender) and parse_task_id(task_id):
            tb = str(getattr(einfo, "traceback", "") or "")
            self._guard(self.engine.on_failure, task_id,
                        exception or RuntimeError("unknown failure"), tb)

    def _on_retry(self, sender: Any = None, request: Any = None, reason: Any = None,
                  **_: Any) -> None:
        tid = getattr(request, "id", None)
        if self._mine(sender) and parse_task_id(tid):
            self._guard(self.engine.on_retry, tid, reason, _countdown(reason))

    def _on_revoked(self, sender: Any = None, request: Any = None, terminated: bool = False,
                    expired: bool = False, **_: Any) -> None:
        # A revoke from outside dyrygent fails the node; for attempts dyrygent itself
        # revoked (stale, timed out, cancelled) the transition no longer applies.
        tid = getattr(request, "id", None)
        if self._mine(sender) and parse_task_id(tid):
            reason = "expired" if expired else "terminated" if terminated else "revoked"
            self._guard(self.engine.on_failure, tid, TaskRevokedError(reason), "")

    @staticmethod
    def _guard(fn: Any, *args: Any) -> None:
        # A lost event is reconciled by the tick; it must never fail the user's task.
        try:
            fn(*args)
        except Exception:
            logger.exception("dyrygent could not record a task event")


def _countdown(reason: Any) -> float:
    """Seconds until a retried task runs again (Retry.when: seconds or a datetime)."""
    when = getattr(reason, "when", None)
    if isinstance(when, datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=UTC)
        return max(0.0, (aware - datetime.now(UTC)).total_seconds())
    return float(when) if isinstance(when, int | float) else 0.0


def _process(self: Any, workflow_id: str, seq: int) -> None:
    """Run one tick of a workflow (the safety net), or dispatch what is ready (KICK)."""
    processor = processor_for(self.app)
    if processor is None:
        raise NotConfiguredError("dyrygent.process ran on an app without a processor")
    if seq == KICK:
        processor.engine.kick(workflow_id)
    else:
        processor.engine.tick(workflow_id, seq)


def processor_for(app: Celery) -> WorkflowProcessor | None:
    """The processor registered on app, if any."""
    found: WorkflowProcessor | None = getattr(app, _ATTR, None)
    return found


def register_workflow_processor(app: Celery, *, redis_url: str | None = None,
                                store: StateStore | None = None, prefix: str = "dyrygent",
                                settings: Settings | None = None) -> WorkflowProcessor:
    """Attach a workflow processor to app (state in Redis) and return it."""
    existing = processor_for(app)
    if existing is not None:
        return existing
    if store is None:
        url = redis_url or app.conf.get("dyrygent_redis_url") or _redis_from_app(app)
        if url is None:
            raise NotConfiguredError("dyrygent needs a Redis URL: pass redis_url= or set "
                                     "app.conf.dyrygent_redis_url")
        try:
            store = RedisStore.from_url(url, prefix)
        except ValueError as e:
            raise StoreError(f"bad dyrygent Redis URL {url!r}: {e}") from e
    processor = WorkflowProcessor(app, store, settings or Settings())
    setattr(app, _ATTR, processor)
    return processor


def _redis_from_app(app: Celery) -> str | None:
    for url in (app.conf.broker_url, app.conf.result_backend):
        if isinstance(url, str) and url.startswith(("redis://", "rediss://", "unix://")):
            return url
    return None
