"""StateStore on Redis: definition written once in pipelined batches, Lua transitions."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import redis

from dyrygent import lua
from dyrygent.dag import CompiledNode
from dyrygent.errors import (
    InvalidTransitionError,
    StoreError,
    StoreUnavailable,
    UnknownNodeError,
    UnknownWorkflowError,
)
from dyrygent.states import NodeState, WorkflowState
from dyrygent.store import Active, Dispatch, Outcome

BATCH = 1000  # nodes per round trip at submit
# One encoder for every definition: json.dumps() with separators builds a new one per call.
_encode = json.JSONEncoder(separators=(",", ":")).encode
_INT_FIELDS = {"n", "done", "failed", "active", "max_active", "tick", "format"}
_FLOAT_FIELDS = {"created", "finished", "deadline", "progress"}


_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError)
_Method = TypeVar("_Method", bound=Callable[..., Any])


def _translated(method: _Method) -> _Method:
    """Redis errors out of a store call become StoreUnavailable (unreachable) or StoreError."""
    @functools.wraps(method)
    def call(self: RedisStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _UNREACHABLE as e:
            raise StoreUnavailable(f"the workflow store cannot be reached: {e}") from e
        except redis.RedisError as e:
            raise StoreError(f"the workflow store failed: {e}") from e
    return cast(_Method, call)


def _server_now(client: redis.Redis) -> float:  # type: ignore[type-arg]
    """Redis's own clock: the one every host agrees on."""
    seconds, micros = client.time()
    return float(seconds) + float(micros) / 1e6


class RedisStore:
    """Workflow state in Redis; all keys of a workflow share the hash tag {workflow-id}.

    replicas: how many replicas must hold each transition and new workflow before the
    call returns (Redis WAIT, at most wait_seconds); 0 for a Redis without replicas. WAIT
    counts only its own connection's writes and cannot run inside a script, so it follows
    the script on the same connection; lease renewals and reads do not wait (a lost
    renewal costs at most a fenced re-run). A transition the replicas do not confirm in
    time raises StoreUnavailable: it may be lost in a failover, and the caller's safety
    net (the tick, the step's lease) settles it.
    """

    def __init__(self, client: redis.Redis,  # type: ignore[type-arg]
                 prefix: str = "dyrygent", replicas: int = 0,
                 wait_seconds: float = 2.0) -> None:
        self.client = client
        self.prefix = prefix
        self.replicas, self.wait_seconds = replicas, wait_seconds
        self._scripts = {
            name: client.register_script(lua.PRELUDE + getattr(lua, name))
            for name in ("CLAIM", "START", "COMPLETE", "FAIL", "PAUSE", "RESUME", "STOP",
                         "RETRY", "SKIP", "RECLAIM", "REDISPATCH", "HOLD", "EXPIRE_LEASES",
                         "ADVANCE_TICK")
        }

    @classmethod
    def from_url(cls, url: str, prefix: str = "dyrygent") -> RedisStore:
        """Store on the Redis at url."""
        return cls(redis.Redis.from_url(url, decode_responses=True), prefix)

    def keys(self, wf: str) -> list[str]:
        """All keys of one workflow, in the order the Lua scripts expect."""
        return [f"{self.prefix}:{{{wf}}}:{name}" for name in lua.KEY_NAMES]

    def _key(self, wf: str, name: str) -> str:
        return f"{self.prefix}:{{{wf}}}:{name}"

    def _run(self, name: str, wf: str, *args: Any) -> Any:
        try:
            if not self.replicas:
                return self._scripts[name](keys=self.keys(wf), args=list(args))
            pipe = self.client.pipeline(transaction=False)
            self._scripts[name](keys=self.keys(wf), args=list(args), client=pipe)
            result, _ = self._replicated(pipe, f"{name} of {wf!r}")
            return result
        except redis.ResponseError as e:
            if "DYRYGENT_INVALID" in str(e):
                text = str(e).split("DYRYGENT_INVALID", 1)[1].split(" script:")[0].strip()
                raise InvalidTransitionError(f"workflow {wf!r}: {text}") from e
            raise StoreError(f"redis script {name} failed: {e}") from e

    def _exists(self, wf: str) -> None:
        if not self.client.hexists(self._key(wf, "meta"), "state"):
            raise UnknownWorkflowError(f"unknown workflow {wf!r}")

    def create(self, wf: str, nodes: Sequence[CompiledNode], meta: Mapping[str, Any],
               now: float) -> None:
        """Store a new workflow definition and its initial state."""
        k = dict(zip(lua.KEY_NAMES, self.keys(wf), strict=True))
        if not self.client.hsetnx(k["meta"], "created", now):
            raise StoreError(f"workflow {wf!r} already exists")
        roots = [n.index for n in nodes if not n.deps]
        pending, ready = str(NodeState.PENDING), str(NodeState.READY)
        pipe = self.client.pipeline(transaction=False)
        # One HSET per hash per chunk of nodes: a 10,000-node workflow is a few dozen
        # commands in a handful of round trips.
        for first in range(0, len(nodes), BATCH):
            chunk = nodes[first:first + BATCH]
            fields = [str(n.index) for n in chunk]
            pipe.hset(k["def"], mapping=dict(zip(fields, [_encode(n.definition()) for n in chunk],
                                                 strict=True)))
            pipe.hset(k["ids"], mapping=dict(zip([n.spec.id for n in chunk], fields, strict=True)))
            pipe.hset(k["st"], mapping=dict(zip(fields, [pending if n.deps else ready
                                                         for n in chunk], strict=True)))
            rem = {f: len(n.deps) for f, n in zip(fields, chunk, strict=True) if n.deps}
            if rem:
                pipe.hset(k["rem"], mapping=rem)  # type: ignore[arg-type]
            kids = {f: ",".join(map(str, n.children))
                    for f, n in zip(fields, chunk, strict=True) if n.children}
            if kids:
                pipe.hset(k["kids"], mapping=kids)  # type: ignore[arg-type]
            tmo = {f: float(n.spec.timeout)
                   for f, n in zip(fields, chunk, strict=True) if n.spec.timeout}
            if tmo:
                pipe.hset(k["tmo"], mapping=tmo)  # type: ignore[arg-type]
            # The last batch's WAIT covers these: replicas acknowledge an offset.
            self._execute(pipe, wf, wait=False)
        for start in range(0, len(roots), BATCH):
            pipe.rpush(k["ready"], *roots[start:start + BATCH])
        meta_fields: dict[str | bytes, bytes | float | int | str] = {
            key: "" if value is None else value for key, value in meta.items()}
        meta_fields.update({"n": len(nodes), "done": 0, "failed": 0, "active": 0, "tick": 0,
                            "c:PENDING": len(nodes) - len(roots), "c:READY": len(roots)})
        meta_fields.setdefault("max_active", 0)
        pipe.hset(k["meta"], mapping=meta_fields)
        pipe.rpush(k["ev"], json.dumps({"t": now, "e": "workflow", "state": "RUNNING"}))
        # state is written last: a workflow is visible only once it is complete
        pipe.hset(k["meta"], "state", WorkflowState.RUNNING)
        self._execute(pipe, wf)

    def _replicated(self, pipe: Any, what: str) -> list[Any]:
        """Run pipe and WAIT on its connection until the replicas hold its writes."""
        pipe.execute_command("WAIT", self.replicas, int(self.wait_seconds * 1000))
        results: list[Any] = pipe.execute()
        if int(results[-1]) < self.replicas:
            raise StoreUnavailable(f"{what}: {results[-1]} of {self.replicas} replicas "
                                   f"confirmed it within {self.wait_seconds:g} s")
        return results

    def _execute(self, pipe: Any, wf: str, wait: bool = True) -> None:
        try:
            if self.replicas and wait:
                self._replicated(pipe, f"workflow {wf!r}")
                return
            pipe.execute()
        except _UNREACHABLE:
            raise
        except redis.RedisError as e:
            raise StoreError(f"could not store workflow {wf!r}: {e}") from e

    def meta(self, wf: str) -> dict[str, Any]:
        """Workflow fields: state, counts (c:STATE), timestamps, limits."""
        raw = self.client.hgetall(self._key(wf, "meta"))
        if "state" not in raw:
            raise UnknownWorkflowError(f"unknown workflow {wf!r}")
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if key in _INT_FIELDS or key.startswith("c:"):
                out[key] = int(value)
            elif key in _FLOAT_FIELDS:
                out[key] = float(value) if value else None
            else:
                out[key] = value
        return out

    def definitions(self, wf: str) -> list[dict[str, Any]]:
        """All node definitions by index."""
        raw = self.client.hgetall(self._key(wf, "def"))
        if not raw:
            self._exists(wf)
        return [json.loads(raw[str(i)]) for i in range(len(raw))]

    def definition(self, wf: str, index: int) -> dict[str, Any]:
        """Definition of one node."""
        raw = self.client.hget(self._key(wf, "def"), str(index))
        if raw is None:
            raise UnknownNodeError(f"workflow {wf!r} has no node index {index}")
        result: dict[str, Any] = json.loads(raw)
        return result

    def index_of(self, wf: str, node_id: str) -> int:
        """Index of a node id."""
        value = self.client.hget(self._key(wf, "ids"), node_id)
        if value is None:
            self._exists(wf)
            raise UnknownNodeError(f"workflow {wf!r} has no node {node_id!r}")
        return int(value)

    def indexes_of(self, wf: str, node_ids: Sequence[str]) -> list[int]:
        """Indexes of several node ids, in one round trip."""
        if not node_ids:
            return []
        values = self.client.hmget(self._key(wf, "ids"), list(node_ids))
        missing = [n for n, v in zip(node_ids, values, strict=True) if v is None]
        if missing:
            self._exists(wf)
            raise UnknownNodeError(f"workflow {wf!r} has no node {missing[0]!r}")
        return [int(str(v)) for v in values]

    def node(self, wf: str, index: int) -> dict[str, Any]:
        """State, attempt, result and error of one node."""
        pipe = self.client.pipeline(transaction=False)
        for name in ("st", "att", "res", "err"):
            pipe.hget(self._key(wf, name), str(index))
        state, attempt, result, error = pipe.execute()
        if state is None:
            raise UnknownNodeError(f"workflow {wf!r} has no node index {index}")
        return {"state": state, "attempt": int(attempt or 0),
                "result": None if result is None else json.loads(result),
                "error": None if error is None else json.loads(error)}

    def results(self, wf: str, indexes: Sequence[int]) -> dict[int, Any]:
        """Decoded results of nodes (None for skipped ones)."""
        if not indexes:
            return {}
        values = self.client.hmget(self._key(wf, "res"), [str(i) for i in indexes])
        return {i: None if v is None else json.loads(v)
                for i, v in zip(indexes, values, strict=True)}

    def errors(self, wf: str) -> dict[int, dict[str, Any]]:
        """Errors of the nodes that are in FAILURE."""
        raw = self.client.hgetall(self._key(wf, "err"))
        return {int(k): json.loads(v) for k, v in raw.items()}

    def events(self, wf: str, start: int = 0) -> list[dict[str, Any]]:
        """The append-only event log from position start."""
        return [json.loads(e) for e in self.client.lrange(self._key(wf, "ev"), start, -1)]

    def note(self, wf: str, event: Mapping[str, Any]) -> None:
        """Append an event that changes no state."""
        # RPUSHX: a note about an expired workflow must not recreate its log.
        self.client.execute_command("RPUSHX", self._key(wf, "ev"), json.dumps(dict(event)))

    @staticmethod
    def _dispatches(flat: Sequence[Any]) -> tuple[Dispatch, ...]:
        return tuple(Dispatch(int(flat[i]), int(flat[i + 1]), json.loads(flat[i + 2]))
                     for i in range(0, len(flat), 3))

    def _outcome(self, reply: Sequence[Any]) -> Outcome:
        if not reply or int(reply[0]) == 0:
            return Outcome(applied=False)
        state = WorkflowState(reply[1]) if reply[1] else None
        return Outcome(True, state, tuple(int(i) for i in reply[2]), self._dispatches(reply[3]))

    def claim(self, wf: str, now: float, limit: int) -> Outcome:
        """Move up to limit READY nodes to DISPATCHED, within the concurrency limit."""
        claimed = self._dispatches(self._run("CLAIM", wf, now, limit))
        return Outcome(applied=bool(claimed), claimed=claimed)

    def confirm(self, wf: str, indexes: Sequence[int]) -> None:
        """Record that the claimed nodes were handed to the broker."""
        if indexes:
            self.client.zrem(self._key(wf, "unconf"), *[str(i) for i in indexes])

    def unconfirmed(self, wf: str, before: float, now: float) -> list[Dispatch]:
        """Take claimed nodes never confirmed sent since before; they count as claimed now."""
        return list(self._dispatches(self._run("RECLAIM", wf, before, now)))

    def redispatch(self, wf: str, before: float, now: float) -> list[Dispatch]:
        """Give nodes sent before `before` and never started a new attempt (lost messages)."""
        return list(self._dispatches(self._run("REDISPATCH", wf, before, now)))

    def hold(self, wf: str, index: int, attempt: int, now: float, seconds: float) -> bool:
        """Keep a running attempt's lease for seconds more (Redis's clock; now unused)."""
        return bool(self._run("HOLD", wf, index, attempt, seconds))

    def expire_leases(self, wf: str, now: float) -> list[Dispatch]:
        """Give running nodes whose lease ran out (on Redis's clock) a new attempt."""
        return list(self._dispatches(self._run("EXPIRE_LEASES", wf, now)))

    def start(self, wf: str, index: int, attempt: int, now: float, lease: float = 0.0) -> int:
        """Mark a node RUNNING: 1 first start, 2 repeated start, 0 stale delivery.

        lease: seconds the starting worker holds it (Redis's clock), as hold() renews.
        """
        return int(self._run("START", wf, index, attempt, now, lease))

    def complete(self, wf: str, index: int, attempt: int, result: str, now: float,
                 limit: int) -> Outcome:
        """Record success (result is JSON), release children and claim what is ready."""
        return self._outcome(self._run("COMPLETE", wf, index, attempt, result, now, limit))

    def fail(self, wf: str, index: int, attempt: int, error: Mapping[str, Any],
             now: float) -> Outcome:
        """Record failure; the workflow stops dispatching."""
        return self._outcome(self._run("FAIL", wf, index, attempt, json.dumps(dict(error)), now))

    @staticmethod
    def _actives(flat: Sequence[Any]) -> list[Active]:
        return [Active(int(flat[i]), int(flat[i + 1]), float(flat[i + 2]),
                       NodeState(flat[i + 3])) for i in range(0, len(flat), 4)]

    def active(self, wf: str) -> list[Active]:
        """Nodes holding a slot, with the time they were dispatched."""
        rows = self.client.zrange(self._key(wf, "act"), 0, -1, withscores=True)
        return self._with_state(wf, [(str(i), float(t)) for i, t in rows])

    def _with_state(self, wf: str, rows: list[tuple[str, float]]) -> list[Active]:
        if not rows:
            return []
        idxs = [i for i, _ in rows]
        atts = self.client.hmget(self._key(wf, "att"), idxs)
        sts = self.client.hmget(self._key(wf, "st"), idxs)
        return [Active(int(i), int(a or 0), t, NodeState(s))
                for (i, t), a, s in zip(rows, atts, sts, strict=True) if s]

    def overdue(self, wf: str, now: float) -> list[Active]:
        """Running nodes past their own timeout."""
        rows = self.client.zrangebyscore(self._key(wf, "due"), "-inf", now, withscores=True)
        return self._with_state(wf, [(str(i), float(t)) for i, t in rows])

    def pause(self, wf: str, now: float) -> Outcome:
        """RUNNING to PAUSED."""
        self._exists(wf)
        return self._outcome(self._run("PAUSE", wf, now))

    def resume(self, wf: str, now: float, limit: int) -> Outcome:
        """PAUSED to RUNNING, claiming what is ready."""
        self._exists(wf)
        return self._outcome(self._run("RESUME", wf, now, limit))

    def cancel(self, wf: str, now: float) -> list[Active]:
        """Cancel the workflow; return the nodes that were active, to revoke."""
        self._exists(wf)
        return self._actives(self._run("STOP", wf, WorkflowState.CANCELLED, now, ""))

    def abort(self, wf: str, reason: str, now: float) -> list[Active]:
        """Fail the workflow (deadline); active nodes fail; return them, to revoke."""
        self._exists(wf)
        return self._actives(self._run("STOP", wf, WorkflowState.FAILURE, now, reason))

    def retry_failed(self, wf: str, now: float, limit: int) -> Outcome:
        """Make failed nodes READY again and resume the workflow."""
        self._exists(wf)
        return self._outcome(self._run("RETRY", wf, now, limit))

    def skip(self, wf: str, index: int, now: float, limit: int) -> Outcome:
        """Mark a not-yet-successful node SKIPPED; its children proceed."""
        self._exists(wf)
        return self._outcome(self._run("SKIP", wf, index, now, limit))

    def tick_turn(self, wf: str, seq: int) -> bool:
        """Tell whether seq is the current tick of the workflow."""
        return self.client.hget(self._key(wf, "meta"), "tick") == str(seq)

    def advance_tick(self, wf: str, seq: int) -> bool:
        """Move the tick from seq to seq + 1; False if another tick already did."""
        return bool(self._run("ADVANCE_TICK", wf, seq))

    def arm_tick(self, wf: str, now: float, seconds: float | None) -> None:
        """Expect the workflow's next tick within seconds (Redis's clock, not now); None: no
        more."""
        ticks = f"{self.prefix}:ticks"
        if seconds is None:
            self.client.zrem(ticks, wf)
            return
        self.client.zadd(ticks, {wf: _server_now(self.client) + seconds})

    def stalled_ticks(self, now: float, limit: int) -> list[tuple[str, int]]:
        """Workflows whose tick is overdue (its message lost), with their current seq."""
        due = self.client.zrangebyscore(f"{self.prefix}:ticks", "-inf",
                                        _server_now(self.client), start=0, num=limit)
        pipe = self.client.pipeline(transaction=False)
        for wf in due:
            pipe.hget(self._key(wf, "meta"), "tick")
        return [(wf, int(seq)) for wf, seq in zip(due, pipe.execute(), strict=True)
                if seq is not None]

    def retain(self, wf: str, seconds: float | None) -> None:
        """Let a finished workflow's state expire after seconds; None keeps it for good."""
        pipe = self.client.pipeline(transaction=False)
        for key in self.keys(wf):
            if seconds is None:
                pipe.persist(key)
            else:
                pipe.expire(key, max(1, int(seconds)))
        pipe.execute()

    def delete(self, wf: str) -> None:
        """Remove every key of a workflow, and its place among the expected ticks."""
        self.client.delete(*self.keys(wf))
        self.client.zrem(f"{self.prefix}:ticks", wf)


# Every public call, one place: a caller sees dyrygent's errors only, and can tell an
# unreachable Redis (try later) from a store that answered wrongly.
for _name, _member in list(vars(RedisStore).items()):
    if not _name.startswith("_") and callable(_member):
        setattr(RedisStore, _name, _translated(_member))
