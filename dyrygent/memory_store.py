"""MemoryStore: the in-process StateStore fake, with the same semantics as RedisStore."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dyrygent.dag import CompiledNode
from dyrygent.errors import (
    InvalidTransitionError,
    StoreError,
    UnknownNodeError,
    UnknownWorkflowError,
)
from dyrygent.states import NodeState, WorkflowState
from dyrygent.store import Active, Dispatch, Outcome

N = NodeState
W = WorkflowState


@dataclass
class _Wf:
    meta: dict[str, Any]
    defs: list[dict[str, Any]]
    children: list[tuple[int, ...]]
    ids: dict[str, int]
    state: list[NodeState]
    attempt: list[int]
    remaining: list[int]
    results: dict[int, str] = field(default_factory=dict)
    errors: dict[int, dict[str, Any]] = field(default_factory=dict)
    ready: deque[int] = field(default_factory=deque)
    unconfirmed: dict[int, float] = field(default_factory=dict)
    active: dict[int, float] = field(default_factory=dict)
    due: dict[int, float] = field(default_factory=dict)
    lease: dict[int, float] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


class MemoryStore:
    """In-process StateStore with the same semantics as RedisStore, for tests and tools."""

    def __init__(self) -> None:
        self._wfs: dict[str, _Wf] = {}
        self._ticks: dict[str, float] = {}
        self._lock = threading.RLock()

    def _get(self, wf: str) -> _Wf:
        try:
            return self._wfs[wf]
        except KeyError:
            raise UnknownWorkflowError(f"unknown workflow {wf!r}") from None

    def _log(self, w: _Wf, now: float, **event: Any) -> None:
        w.events.append(json.dumps({"t": now, **event}))

    def _set_node(self, w: _Wf, index: int, new: NodeState, now: float) -> None:
        old = w.state[index]
        w.state[index] = new
        w.meta["c:" + old] -= 1
        w.meta["c:" + new] = w.meta.get("c:" + new, 0) + 1
        self._log(w, now, e="node", node=index, state=str(new), attempt=w.attempt[index])

    def _set_wf(self, w: _Wf, new: WorkflowState, now: float) -> WorkflowState:
        w.meta["state"] = str(new)
        if new.finished:
            w.meta["finished"] = now
        self._log(w, now, e="workflow", state=str(new))
        return new

    def _release(self, w: _Wf, index: int, now: float) -> list[int]:
        ready = []
        for child in w.children[index]:
            w.remaining[child] -= 1
            if w.remaining[child] == 0 and w.state[child] == N.PENDING:
                self._set_node(w, child, N.READY, now)
                w.ready.append(child)
                ready.append(child)
        return ready

    def _settle(self, w: _Wf, now: float) -> WorkflowState | None:
        state = W(w.meta["state"])
        if state.finished:
            return None
        if w.meta["done"] == w.meta["n"]:
            return self._set_wf(w, W.SUCCESS, now)
        if w.meta["failed"] > 0 and w.meta["active"] == 0:
            return self._set_wf(w, W.FAILURE, now)
        return None

    def _claim(self, w: _Wf, now: float, limit: int) -> tuple[Dispatch, ...]:
        if w.meta["state"] != W.RUNNING or w.meta["failed"] > 0:
            return ()
        out: list[Dispatch] = []
        cap = int(w.meta["max_active"])
        while len(out) < limit and w.ready and (cap <= 0 or w.meta["active"] < cap):
            index = w.ready.popleft()
            if w.state[index] != N.READY:
                continue
            w.attempt[index] += 1
            self._set_node(w, index, N.DISPATCHED, now)
            w.meta["active"] += 1
            w.unconfirmed[index] = now
            w.active[index] = now
            out.append(Dispatch(index, w.attempt[index], w.defs[index]))
        return tuple(out)

    def create(self, wf: str, nodes: Sequence[CompiledNode], meta: Mapping[str, Any],
               now: float) -> None:
        """Store a new workflow definition and its initial state."""
        with self._lock:
            if wf in self._wfs:
                raise StoreError(f"workflow {wf!r} already exists")
            roots = [n.index for n in nodes if not n.deps]
            w = _Wf(
                meta={**meta, "state": str(W.RUNNING), "n": len(nodes), "done": 0,
                      "failed": 0, "active": 0, "created": now, "tick": 0,
                      "c:" + N.PENDING: len(nodes) - len(roots), "c:" + N.READY: len(roots)},
                defs=[json.loads(json.dumps(n.definition())) for n in nodes],
                children=[n.children for n in nodes],
                ids={n.spec.id: n.index for n in nodes},
                state=[N.PENDING if n.deps else N.READY for n in nodes],
                attempt=[0] * len(nodes),
                remaining=[len(n.deps) for n in nodes],
            )
            w.meta.setdefault("max_active", 0)
            w.ready.extend(roots)
            self._log(w, now, e="workflow", state=str(W.RUNNING))
            self._wfs[wf] = w

    def meta(self, wf: str) -> dict[str, Any]:
        """Workflow fields: state, counts (c:STATE), timestamps, limits."""
        with self._lock:
            return dict(self._get(wf).meta)

    def definitions(self, wf: str) -> list[dict[str, Any]]:
        """All node definitions by index."""
        with self._lock:
            return list(self._get(wf).defs)

    def definition(self, wf: str, index: int) -> dict[str, Any]:
        """Definition of one node."""
        with self._lock:
            w = self._get(wf)
            if not 0 <= index < len(w.defs):
                raise UnknownNodeError(f"workflow {wf!r} has no node index {index}")
            return w.defs[index]

    def index_of(self, wf: str, node_id: str) -> int:
        """Index of a node id."""
        with self._lock:
            try:
                return self._get(wf).ids[node_id]
            except KeyError:
                raise UnknownNodeError(f"workflow {wf!r} has no node {node_id!r}") from None

    def indexes_of(self, wf: str, node_ids: Sequence[str]) -> list[int]:
        """Indexes of several node ids, in one round trip."""
        return [self.index_of(wf, node_id) for node_id in node_ids]

    def node(self, wf: str, index: int) -> dict[str, Any]:
        """State, attempt, result and error of one node."""
        with self._lock:
            w = self._get(wf)
            raw = w.results.get(index)
            return {"state": str(w.state[index]), "attempt": w.attempt[index],
                    "result": None if raw is None else json.loads(raw),
                    "error": w.errors.get(index)}

    def results(self, wf: str, indexes: Sequence[int]) -> dict[int, Any]:
        """Decoded results of nodes (None for skipped ones)."""
        with self._lock:
            w = self._get(wf)
            return {i: json.loads(w.results[i]) if i in w.results else None for i in indexes}

    def errors(self, wf: str) -> dict[int, dict[str, Any]]:
        """Errors of the nodes that are in FAILURE."""
        with self._lock:
            return dict(self._get(wf).errors)

    def events(self, wf: str, start: int = 0) -> list[dict[str, Any]]:
        """The append-only event log from position start."""
        with self._lock:
            return [json.loads(e) for e in self._get(wf).events[start:]]

    def note(self, wf: str, event: Mapping[str, Any]) -> None:
        """Append an event that changes no state."""
        with self._lock:
            self._get(wf).events.append(json.dumps(dict(event)))

    def claim(self, wf: str, now: float, limit: int) -> Outcome:
        """Move up to limit READY nodes to DISPATCHED, within the concurrency limit."""
        with self._lock:
            claimed = self._claim(self._get(wf), now, limit)
            return Outcome(applied=bool(claimed), claimed=claimed)

    def confirm(self, wf: str, indexes: Sequence[int]) -> None:
        """Record that the claimed nodes were handed to the broker."""
        with self._lock:
            w = self._get(wf)
            for i in indexes:
                w.unconfirmed.pop(i, None)

    def unconfirmed(self, wf: str, before: float, now: float) -> list[Dispatch]:
        """Take claimed nodes never confirmed sent since before; they count as claimed now."""
        with self._lock:
            w = self._get(wf)
            taken = [i for i, t in sorted(w.unconfirmed.items()) if t < before]
            for i in taken:
                w.unconfirmed[i] = now
            return [Dispatch(i, w.attempt[i], w.defs[i]) for i in taken]

    def redispatch(self, wf: str, before: float, now: float) -> list[Dispatch]:
        """Give nodes sent before `before` and never started a new attempt (lost messages)."""
        with self._lock:
            w = self._get(wf)
            out: list[Dispatch] = []
            if float(w.meta.get("progress", w.meta["created"])) >= before:
                return out  # the queue is moving: these nodes are waiting, not lost
            for i, t in sorted(w.active.items()):
                if t < before and w.state[i] == N.DISPATCHED and i not in w.unconfirmed:
                    out.append(self._new_attempt(w, i, now, "redispatch"))
            if out:
                w.meta["progress"] = now
            return out

    def hold(self, wf: str, index: int, attempt: int, now: float, seconds: float) -> bool:
        """Keep a running attempt's lease for seconds more (never shortened)."""
        with self._lock:
            w = self._get(wf)
            if w.attempt[index] != attempt or w.state[index] != N.RUNNING:
                return False
            w.lease[index] = max(w.lease.get(index, 0.0), now + seconds)
            return True

    def expire_leases(self, wf: str, now: float) -> list[Dispatch]:
        """Give running nodes whose lease ran out a new attempt."""
        with self._lock:
            w = self._get(wf)
            out: list[Dispatch] = []
            for i, until in sorted(w.lease.items()):
                if until >= now:
                    continue
                del w.lease[i]
                if w.state[i] == N.RUNNING:
                    self._set_node(w, i, N.DISPATCHED, now)
                    w.due.pop(i, None)
                    out.append(self._new_attempt(w, i, now, "lease-expired"))
            return out

    def _new_attempt(self, w: _Wf, i: int, now: float, event: str) -> Dispatch:
        """A node to send again under a new attempt, whose number fences the old one out."""
        w.attempt[i] += 1
        w.active[i] = now
        w.unconfirmed[i] = now
        self._log(w, now, e=event, node=i, attempt=w.attempt[i])
        return Dispatch(i, w.attempt[i], w.defs[i])

    def arm_tick(self, wf: str, now: float, seconds: float | None) -> None:
        """Expect the workflow's next tick within seconds of now; None: no more."""
        with self._lock:
            if seconds is None:
                self._ticks.pop(wf, None)
            else:
                self._ticks[wf] = now + seconds

    def stalled_ticks(self, now: float, limit: int) -> list[tuple[str, int]]:
        """Workflows whose tick is overdue (its message lost), with their current seq."""
        with self._lock:
            due = sorted((t, wf) for wf, t in self._ticks.items() if t <= now)[:limit]
            return [(wf, int(self._wfs[wf].meta["tick"])) for _, wf in due if wf in self._wfs]

    def start(self, wf: str, index: int, attempt: int, now: float, lease: float = 0.0) -> int:
        """Mark a node RUNNING: 1 first start, 2 repeated start, 0 stale delivery.

        lease: seconds the starting worker holds it, as hold() renews.
        """
        with self._lock:
            w = self._get(wf)
            if w.attempt[index] != attempt or w.state[index] not in (N.RUNNING, N.DISPATCHED):
                return 0
            if lease > 0:
                w.lease[index] = max(w.lease.get(index, 0.0), now + lease)
            if w.state[index] == N.RUNNING:
                return 2
            self._set_node(w, index, N.RUNNING, now)
            w.meta["progress"] = now
            w.unconfirmed.pop(index, None)
            timeout = w.defs[index].get("timeout")
            if timeout:
                w.due[index] = now + float(timeout)
            return 1

    def _finish_active(self, w: _Wf, index: int, now: float) -> None:
        w.meta["progress"] = now
        w.unconfirmed.pop(index, None)
        w.active.pop(index, None)
        w.due.pop(index, None)
        w.lease.pop(index, None)
        w.meta["active"] -= 1

    def complete(self, wf: str, index: int, attempt: int, result: str, now: float,
                 limit: int) -> Outcome:
        """Record success (result is JSON), release children and claim what is ready."""
        with self._lock:
            w = self._get(wf)
            if w.attempt[index] != attempt or not w.state[index].active:
                return Outcome(applied=False)
            w.results[index] = result
            self._set_node(w, index, N.SUCCESS, now)
            self._finish_active(w, index, now)
            w.meta["done"] += 1
            ready = self._release(w, index, now)
            state = self._settle(w, now)
            return Outcome(True, state, tuple(ready), self._claim(w, now, limit))

    def fail(self, wf: str, index: int, attempt: int, error: Mapping[str, Any],
             now: float) -> Outcome:
        """Record failure; the workflow stops dispatching."""
        with self._lock:
            w = self._get(wf)
            if w.attempt[index] != attempt or not w.state[index].active:
                return Outcome(applied=False)
            w.errors[index] = dict(error)
            self._set_node(w, index, N.FAILURE, now)
            self._finish_active(w, index, now)
            w.meta["failed"] += 1
            return Outcome(True, self._settle(w, now))

    def active(self, wf: str) -> list[Active]:
        """Nodes holding a slot, with the time they were dispatched."""
        with self._lock:
            w = self._get(wf)
            return [Active(i, w.attempt[i], t, w.state[i]) for i, t in sorted(w.active.items())]

    def overdue(self, wf: str, now: float) -> list[Active]:
        """Running nodes past their own timeout."""
        with self._lock:
            w = self._get(wf)
            return [Active(i, w.attempt[i], t, w.state[i])
                    for i, t in sorted(w.due.items()) if t <= now]

    def _require(self, w: _Wf, wf: str, *allowed: WorkflowState) -> None:
        if w.meta["state"] not in allowed:
            raise InvalidTransitionError(
                f"workflow {wf!r} is {w.meta['state']}, expected {'/'.join(allowed)}")

    def pause(self, wf: str, now: float) -> Outcome:
        """RUNNING to PAUSED."""
        with self._lock:
            w = self._get(wf)
            self._require(w, wf, W.RUNNING)
            return Outcome(True, self._set_wf(w, W.PAUSED, now))

    def resume(self, wf: str, now: float, limit: int) -> Outcome:
        """PAUSED to RUNNING, claiming what is ready."""
        with self._lock:
            w = self._get(wf)
            self._require(w, wf, W.PAUSED)
            state = self._set_wf(w, W.RUNNING, now)
            state = self._settle(w, now) or state
            return Outcome(True, state, (), self._claim(w, now, limit))

    def _stop(self, w: _Wf, final: WorkflowState, node_state: NodeState, error: dict[str, Any],
              now: float) -> list[Active]:
        was = [Active(i, w.attempt[i], t, w.state[i]) for i, t in sorted(w.active.items())]
        for a in was:
            self._set_node(w, a.index, node_state, now)
            if node_state == N.FAILURE:
                w.errors[a.index] = error
                w.meta["failed"] += 1
        if final == W.CANCELLED:
            for i, s in enumerate(w.state):
                if s in (N.PENDING, N.READY):
                    self._set_node(w, i, N.CANCELLED, now)
        w.ready.clear()
        w.unconfirmed.clear()
        w.active.clear()
        w.due.clear()
        w.lease.clear()
        w.meta["active"] = 0
        self._set_wf(w, final, now)
        return was

    def cancel(self, wf: str, now: float) -> list[Active]:
        """Cancel the workflow; return the nodes that were active, to revoke."""
        with self._lock:
            w = self._get(wf)
            self._require(w, wf, W.RUNNING, W.PAUSED, W.FAILURE)
            return self._stop(w, W.CANCELLED, N.CANCELLED, {}, now)

    def abort(self, wf: str, reason: str, now: float) -> list[Active]:
        """Fail the workflow (deadline); active nodes fail; return them, to revoke."""
        with self._lock:
            w = self._get(wf)
            self._require(w, wf, W.RUNNING, W.PAUSED)
            w.meta["reason"] = reason
            w.meta["deadline"] = ""
            return self._stop(w, W.FAILURE, N.FAILURE,
                              {"type": "DeadlineExceeded", "message": reason}, now)

    def retry_failed(self, wf: str, now: float, limit: int) -> Outcome:
        """Make failed nodes READY again and resume the workflow."""
        with self._lock:
            w = self._get(wf)
            self._require(w, wf, W.FAILURE, W.RUNNING)
            failed = sorted(w.errors)
            for i in failed:
                self._set_node(w, i, N.READY, now)
                w.ready.append(i)
            w.errors.clear()
            w.meta["failed"] = 0
            w.meta["reason"] = ""
            state = None
            if w.meta["state"] != W.RUNNING:
                state = self._set_wf(w, W.RUNNING, now)
            return Outcome(True, state, tuple(failed), self._claim(w, now, limit))

    def skip(self, wf: str, index: int, now: float, limit: int) -> Outcome:
        """Mark a not-yet-successful node SKIPPED; its children proceed."""
        with self._lock:
            w = self._get(wf)
            self._require(w, wf, W.RUNNING, W.PAUSED, W.FAILURE)
            old = w.state[index]
            if old not in (N.PENDING, N.READY, N.FAILURE):
                raise InvalidTransitionError(f"cannot skip node in state {old}")
            if old == N.FAILURE:
                w.errors.pop(index, None)
                w.meta["failed"] -= 1
            self._set_node(w, index, N.SKIPPED, now)
            w.meta["done"] += 1
            ready = self._release(w, index, now)
            state = None
            if w.meta["state"] == W.FAILURE and w.meta["failed"] == 0:
                state = self._set_wf(w, W.RUNNING, now)
            state = self._settle(w, now) or state
            return Outcome(True, state, tuple(ready), self._claim(w, now, limit))

    def tick_turn(self, wf: str, seq: int) -> bool:
        """Tell whether seq is the current tick of the workflow."""
        with self._lock:
            return bool(self._get(wf).meta["tick"] == seq)

    def advance_tick(self, wf: str, seq: int) -> bool:
        """Move the tick from seq to seq + 1; False if another tick already did."""
        with self._lock:
            w = self._get(wf)
            if w.meta["tick"] != seq:
                return False
            w.meta["tick"] = seq + 1
            return True

    def retain(self, wf: str, seconds: float | None) -> None:
        """Record the retention; the in-memory store lives only as long as its process."""
        with self._lock:
            self._get(wf).meta["retain"] = "" if seconds is None else seconds
