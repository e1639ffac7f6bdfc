"""The engine: turns task events and ticks into store transitions and dispatches."""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from dyrygent.dag import CompiledNode, evaluate, expr_nodes
from dyrygent.errors import (
    InvalidTransitionError,
    StoreError,
    UnknownNodeError,
    UnknownWorkflowError,
)
from dyrygent.formats import FORMAT, FORMAT_FIELD, check_format
from dyrygent.hooks import Hooks
from dyrygent.states import NodeState, WorkflowState
from dyrygent.store import Dispatch, Outcome, StateStore

logger = logging.getLogger(__name__)

TASK_ID_PREFIX = "dy-"
ARG_MARKER: dict[str, str] = {"__dyrygent__": "parent-results"}


@dataclass(frozen=True, slots=True)
class Send:
    """One task message to publish."""

    task: str
    args: list[Any]
    kwargs: dict[str, Any]
    task_id: str
    options: dict[str, Any] = field(default_factory=dict)


class Dispatcher(Protocol):
    """The broker side the engine needs: publish node tasks, revoke them, schedule ticks."""

    def send(self, messages: Sequence[Send]) -> None:
        """Publish node task messages."""
    def revoke(self, task_ids: Sequence[str]) -> None:
        """Stop tasks wherever they run."""
    def schedule_tick(self, workflow_id: str, seq: int, countdown: float) -> None:
        """Publish the processor message that runs tick(workflow_id, seq) later."""
    def lookup(self, task_id: str) -> tuple[str, Any] | None:
        """State and result of a task in the result backend, None when unknown."""
    def kick(self, workflow_id: str) -> None:
        """Publish a processor message that dispatches whatever is ready now."""
    def stash(self, task_id: str, state: str, value: Any, tb: str | None = None) -> None:
        """Leave a task's outcome where lookup() finds it (the store could not take it)."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Engine tuning; times in seconds."""

    tick_interval: float = 5.0
    batch: int = 500  # nodes claimed per atomic step
    unconfirmed_after: float = 30.0  # a claimed node not confirmed sent by then is re-sent
    # A node sent this long ago and never started gets a new attempt (its message may be
    # lost); a late delivery of the old attempt is then skipped by the received guard.
    lost_after: float = 120.0
    # A running node's worker renews its lease every lease / 4 seconds; a node whose lease
    # ran out (its worker died) gets a new attempt at the next tick, whatever the broker's
    # visibility timeout (an hour on Redis), which must stay above the longest countdown.
    lease: float = 120.0
    # A tick message not run this long after it was due was lost (held by a dead worker):
    # any worker's keeper thread runs that tick itself.
    tick_rescue: float = 30.0
    lookups_per_tick: int = 100
    keep_finished: float | None = 7 * 24 * 3600  # state of finished workflows then expires
    # Parent results bigger than this (JSON bytes) stay in the store: the message carries
    # a marker and the worker fills the argument in just before the task runs.
    inline_limit: int = 2048


def task_id(workflow_id: str, index: int, attempt: int) -> str:
    """Celery task id of one attempt of a node (index and attempt are never negative)."""
    return f"{TASK_ID_PREFIX}{workflow_id}-{index}-{attempt}"


# Only the form task_id() writes: no sign, no leading zero, ASCII digits ("²".isdigit()
# holds, yet int() refuses it), so a parsed id always turns back into the same string.
_NUMBER = re.compile(r"0|[1-9][0-9]*")


def parse_task_id(value: str | None) -> tuple[str, int, int] | None:
    """(workflow id, node index, attempt) of a dyrygent task id, None for other tasks."""
    if not value or not value.startswith(TASK_ID_PREFIX):
        return None
    # Read from the right: the workflow id may itself hold dashes (host names do).
    parts = value[len(TASK_ID_PREFIX):].rsplit("-", 2)
    if len(parts) != 3 or not parts[0]:
        return None
    workflow_id, index, attempt = parts
    if not _NUMBER.fullmatch(index) or not _NUMBER.fullmatch(attempt):
        return None
    return workflow_id, int(index), int(attempt)


def error_record(exc: BaseException, tb: str | None = None) -> dict[str, Any]:
    """JSON-ready description of an exception, bounded in size."""
    text = tb if tb is not None else "".join(traceback.format_exception(exc))
    return {"type": type(exc).__name__, "message": str(exc)[:1000], "traceback": text[-2000:]}


class Engine:
    """Event-driven workflow processing; every step is an idempotent store transition."""

    def __init__(self, store: StateStore, dispatcher: Dispatcher, hooks: Hooks | None = None,
                 clock: Callable[[], float] | None = None, settings: Settings | None = None):
        import time  # the default clock only; tests pass their own

        self.store = store
        self.dispatcher = dispatcher
        self.hooks = hooks or Hooks()
        self.clock = clock or time.time
        self.settings = settings or Settings()

    # -- events from workers -------------------------------------------------------------

    def on_received(self, tid: str) -> bool:
        """A worker took a message: mark the node RUNNING; False for a stale attempt.

        Runs before the pool gets the task, so a stale or finished attempt (a re-delivery,
        or an old attempt after a re-send) is skipped before its body runs, and the
        RUNNING mark costs no extra round trip in the pool process.
        """
        parsed = parse_task_id(tid)
        if parsed is None:
            return True
        wf, index, attempt = parsed
        try:
            # Held from now: a first start, or a retry's message come to wait its countdown.
            started = self.store.start(wf, index, attempt, self.clock(), self.settings.lease)
        except UnknownWorkflowError:
            return False  # its state expired or was deleted: nothing left to run for
        if started == 1:
            self._node_hook(wf, index, NodeState.RUNNING)
        elif started == 0:
            self.store.note(wf, {"t": self.clock(), "e": "skipped-stale", "node": index,
                                 "attempt": attempt})
        return started != 0

    def is_current(self, tid: str) -> bool:
        """Whether a running task's attempt is still its node's (not cancelled, not re-sent).

        A cancel revokes running tasks without stopping them: a body asks this before it
        changes the world, so that a cancelled attempt changes nothing more. Tasks that
        are not nodes of a workflow are always current.
        """
        parsed = parse_task_id(tid)
        if parsed is None:
            return True
        wf, index, attempt = parsed
        try:
            node = self.store.node(wf, index)
        except (UnknownWorkflowError, UnknownNodeError):
            return False
        return bool(node["state"] == NodeState.RUNNING and node["attempt"] == attempt)

    def resolve_args(self, tid: str, args: list[Any]) -> None:
        """Replace an argument marker by the parents' results, in place, before the body runs."""
        parsed = parse_task_id(tid)
        if parsed is None or not args or args[0] != ARG_MARKER:
            return
        wf, index, _ = parsed
        expr = _int_refs(self.store.definition(wf, index)["arg"])
        args[0] = evaluate(expr, self.store.results(wf, sorted(set(map(int, expr_nodes(expr))))))

    def on_success(self, tid: str, result: Any) -> None:
        """A task returned; record its result and dispatch what became ready."""
        parsed = parse_task_id(tid)
        if parsed is None:
            return
        wf, index, attempt = parsed
        try:
            encoded = json.dumps(result, separators=(",", ":"))
        except (TypeError, ValueError) as e:
            self._fail(wf, index, attempt, error_record(e, ""))
            return
        try:
            outcome = self.store.complete(wf, index, attempt, encoded, self.clock(),
                                          self.settings.batch)
        except StoreError:
            # Node tasks skip the result backend (the store keeps results); when the store
            # cannot take this one, the backend holds it for the tick to apply later.
            self.dispatcher.stash(tid, "SUCCESS", result)
            raise
        if outcome.applied:
            self._node_hook(wf, index, NodeState.SUCCESS)
        self._follow(wf, outcome)

    def on_failure(self, tid: str, exc: BaseException, tb: str | None = None) -> None:
        """A task failed for good (its own retries are over)."""
        parsed = parse_task_id(tid)
        if parsed is None:
            return
        try:
            self._fail(*parsed, error_record(exc, tb))
        except StoreError:
            self.dispatcher.stash(tid, "FAILURE", exc, tb)  # as on_success: for the tick
            raise

    def heartbeat(self, tid: str) -> bool:
        """Renew a running attempt's lease; False when it is no longer its node's."""
        parsed = parse_task_id(tid)
        if parsed is None:
            return True
        wf, index, attempt = parsed
        try:
            return self.store.hold(wf, index, attempt, self.clock(), self.settings.lease)
        except UnknownWorkflowError:
            return False

    def on_retry(self, tid: str, reason: Any, countdown: float = 0.0) -> None:
        """A task asked to be retried in countdown seconds; the node stays RUNNING.

        Its lease then covers the countdown: no body runs, so nothing renews it meanwhile.
        """
        parsed = parse_task_id(tid)
        if parsed is not None:
            wf, index, attempt = parsed
            now = self.clock()
            self.store.hold(wf, index, attempt, now, countdown + self.settings.lease)
            self.store.note(wf, {"t": now, "e": "retry", "node": index,
                                 "attempt": attempt, "reason": str(reason)[:500]})

    def _fail(self, wf: str, index: int, attempt: int, error: Mapping[str, Any]) -> None:
        outcome = self.store.fail(wf, index, attempt, error, self.clock())
        if outcome.applied:
            self._node_hook(wf, index, NodeState.FAILURE)
        self._follow(wf, outcome)

    # -- dispatching ---------------------------------------------------------------------

    def _follow(self, wf: str, outcome: Outcome) -> None:
        """Fire hooks for an outcome, send what it claimed and keep claiming while full."""
        for index in outcome.ready:
            self._node_hook(wf, index, NodeState.READY)
        if outcome.workflow_state is not None:
            self._workflow_changed(wf, outcome.workflow_state)
        claimed = outcome.claimed
        while claimed:
            self.dispatch(wf, claimed)
            if len(claimed) < self.settings.batch:
                break
            claimed = self.store.claim(wf, self.clock(), self.settings.batch).claimed

    def dispatch(self, wf: str, claimed: Sequence[Dispatch]) -> None:
        """Publish claimed nodes with their parents' results, then confirm the send."""
        needed = sorted({int(i) for d in claimed for i in expr_nodes(d.definition.get("arg"))})
        results = self.store.results(wf, needed)
        messages = []
        for d in claimed:
            definition = d.definition
            args = list(definition.get("args") or [])
            if definition.get("arg") is not None:
                # Celery prepends the parent's result to a partial signature's args.
                value = evaluate(_int_refs(definition["arg"]), results)
                if len(json.dumps(value, separators=(",", ":"))) > self.settings.inline_limit:
                    value = dict(ARG_MARKER)
                args.insert(0, value)
            messages.append(Send(task=definition["task"], args=args,
                                 kwargs=dict(definition.get("kwargs") or {}),
                                 task_id=task_id(wf, d.index, d.attempt),
                                 options=dict(definition.get("options") or {})))
        self.dispatcher.send(messages)
        self.store.confirm(wf, [d.index for d in claimed])
        for d in claimed:
            self._node_hook(wf, d.index, NodeState.DISPATCHED, d.definition)

    def _workflow_changed(self, wf: str, state: WorkflowState) -> None:
        if state.finished:
            self.store.retain(wf, self.settings.keep_finished)
        elif state == WorkflowState.RUNNING:
            self.store.retain(wf, None)  # retried or skipped back to life
        self.hooks.workflow_changed(wf, state)

    def kick(self, wf: str) -> None:
        """Claim and dispatch whatever is ready now."""
        self._follow(wf, self.store.claim(wf, self.clock(), self.settings.batch))

    def _node_hook(self, wf: str, index: int, state: NodeState,
                   definition: Mapping[str, Any] | None = None) -> None:
        if not self.hooks.node_state:
            return
        if definition is None:
            definition = self.store.definition(wf, index)
        self.hooks.node_changed(wf, str(definition.get("id", index)), state)

    # -- the safety net ------------------------------------------------------------------

    def tick(self, wf: str, seq: int) -> None:
        """Reconcile deadlines, timeouts, lost sends and lost events; then schedule the next."""
        if not self.store.tick_turn(wf, seq):
            return
        now = self.clock()
        meta = self.store.meta(wf)
        check_format(wf, meta)
        if not WorkflowState(meta["state"]).finished:
            self._reconcile(wf, meta, now)
            meta = self.store.meta(wf)
        if not WorkflowState(meta["state"]).finished:
            self._schedule_tick(wf, seq + 1)
        else:
            self.store.arm_tick(wf, now, None)
        self.store.advance_tick(wf, seq)

    def _schedule_tick(self, wf: str, seq: int) -> None:
        countdown = self.settings.tick_interval
        self.store.arm_tick(wf, self.clock(), countdown + self.settings.tick_rescue)
        self.dispatcher.schedule_tick(wf, seq, countdown)

    def rescue_ticks(self, limit: int = 100) -> int:
        """Run the ticks whose messages were lost; how many ran."""
        stalled = self.store.stalled_ticks(self.clock(), limit)
        for wf, seq in stalled:
            try:
                self.tick(wf, seq)
            except UnknownWorkflowError:
                self.store.arm_tick(wf, self.clock(), None)  # its state expired
        return len(stalled)

    def _reconcile(self, wf: str, meta: Mapping[str, Any], now: float) -> None:
        deadline = meta.get("deadline")
        if deadline and now >= float(deadline):
            self.abort(wf, f"workflow deadline passed at {deadline}")
            return
        for a in self.store.overdue(wf, now):
            err = {"type": "NodeTimeoutError", "message": "node ran past its timeout",
                   "traceback": ""}
            # The timeout is recorded before the revoke goes out: a worker quick to report
            # the terminated task would otherwise fail the node as merely "terminated".
            self._fail(wf, a.index, a.attempt, err)
            self.dispatcher.revoke([task_id(wf, a.index, a.attempt)])
        unsent = self.store.unconfirmed(wf, now - self.settings.unconfirmed_after, now)
        if unsent:
            # The process that claimed these died before confirming the send.
            self.dispatch(wf, unsent)
        lost = self.store.redispatch(wf, now - self.settings.lost_after, now)
        if lost:
            self.dispatch(wf, lost)
        expired = self.store.expire_leases(wf, now)
        if expired:
            # The old attempt may still be alive somewhere (a worker cut off, not dead):
            # stopped where it can be; its results and fences no longer count anyway.
            self.dispatcher.revoke([task_id(wf, d.index, d.attempt - 1) for d in expired])
            self.dispatch(wf, expired)
        self._recover_finished(wf, now)
        self.kick(wf)

    def _recover_finished(self, wf: str, now: float) -> None:
        """Apply results the backend has but the store missed (a lost signal)."""
        old = [a for a in self.store.active(wf)
               if a.state == NodeState.RUNNING and a.since < now - self.settings.lost_after]
        for a in old[: self.settings.lookups_per_tick]:
            tid = task_id(wf, a.index, a.attempt)
            found = self.dispatcher.lookup(tid)
            if found is None:
                continue
            state, value = found
            if state == "SUCCESS":
                self.on_success(tid, value)
            elif state == "FAILURE":
                exc = value if isinstance(value, BaseException) else RuntimeError(str(value))
                self.on_failure(tid, exc, "")

    # -- control -------------------------------------------------------------------------

    def submit(self, wf: str, nodes: Sequence[CompiledNode], meta: Mapping[str, Any]) -> None:
        """Store the definition once, dispatch the roots and start the tick."""
        self.store.create(wf, nodes, {**meta, FORMAT_FIELD: FORMAT}, self.clock())
        self.hooks.workflow_changed(wf, WorkflowState.RUNNING)
        self._schedule_tick(wf, 0)
        # The caller sends one batch itself (no extra hop for small workflows); a wider
        # start is left to a worker, so apply_async() returns once the definition is stored.
        claimed = self.store.claim(wf, self.clock(), self.settings.batch).claimed
        if claimed:
            self.dispatch(wf, claimed)
        if len(claimed) == self.settings.batch:
            self.dispatcher.kick(wf)

    def pause(self, wf: str) -> None:
        """Stop dispatching; running nodes go on."""
        self._follow(wf, self.store.pause(wf, self.clock()))

    def resume(self, wf: str) -> None:
        """Dispatch again after pause."""
        self._follow(wf, self.store.resume(wf, self.clock(), self.settings.batch))

    def cancel(self, wf: str) -> None:
        """Cancel the workflow and revoke what runs."""
        was = self.store.cancel(wf, self.clock())
        self._revoke(wf, was)
        self._workflow_changed(wf, WorkflowState.CANCELLED)

    def abort(self, wf: str, reason: str) -> None:
        """Fail the workflow now (deadline) and revoke what runs."""
        try:
            was = self.store.abort(wf, reason, self.clock())
        except InvalidTransitionError:
            return  # already finished: another tick got there first
        self._revoke(wf, was)
        self._workflow_changed(wf, WorkflowState.FAILURE)

    def _revoke(self, wf: str, active: Iterable[Any]) -> None:
        ids = [task_id(wf, a.index, a.attempt) for a in active]
        if ids:
            self.dispatcher.revoke(ids)

    def retry(self, wf: str) -> None:
        """Re-run the failed nodes and go on."""
        self._follow(wf, self.store.retry_failed(wf, self.clock(), self.settings.batch))
        self._restart_tick(wf)

    def skip(self, wf: str, node_id: str) -> None:
        """Mark a node SKIPPED (result None) so its children can run."""
        index = self.store.index_of(wf, node_id)
        outcome = self.store.skip(wf, index, self.clock(), self.settings.batch)
        self._node_hook(wf, index, NodeState.SKIPPED)
        self._follow(wf, outcome)
        if outcome.workflow_state == WorkflowState.RUNNING:
            self._restart_tick(wf)

    def _restart_tick(self, wf: str) -> None:
        # The tick chain stops when a workflow finishes; a retried workflow needs it back.
        # A second chain with the same seq merges: only one can advance it.
        self._schedule_tick(wf, int(self.store.meta(wf)["tick"]))


def _int_refs(expr: dict[str, Any]) -> dict[str, Any]:
    """Stored expressions hold indexes; results are keyed by int."""
    if "n" in expr:
        return {"n": int(expr["n"])}
    return {"l": [_int_refs(item) for item in expr["l"]]}
