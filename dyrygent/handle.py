"""WorkflowHandle: status, waiting, results and control of one stored workflow."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dyrygent.dag import NodeSpec, evaluate, expr_nodes, waves
from dyrygent.errors import WorkflowCancelledError, WorkflowFailedError, WorkflowTimeoutError
from dyrygent.formats import check_format
from dyrygent.processor import Engine
from dyrygent.states import NodeState, WorkflowState


@dataclass(frozen=True, slots=True)
class WorkflowStatus:
    """A snapshot of a workflow: state, node counts by state, failures and timestamps."""

    workflow_id: str
    state: WorkflowState
    total: int
    counts: dict[NodeState, int]
    failed: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: float | None = None
    finished: float | None = None
    deadline: float | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"workflow_id": self.workflow_id, "state": str(self.state), "total": self.total,
                "counts": {str(k): v for k, v in self.counts.items()}, "failed": self.failed,
                "created": self.created, "finished": self.finished, "deadline": self.deadline,
                "reason": self.reason}


class WorkflowHandle:
    """Everything about one workflow id, from any process that can reach the store."""

    def __init__(self, engine: Engine, workflow_id: str,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.engine = engine
        self.workflow_id = workflow_id
        self._sleep = sleep

    @property
    def id(self) -> str:
        """The workflow id."""
        return self.workflow_id

    def status(self) -> WorkflowStatus:
        """Current state, node counts by state, failed nodes with errors, timestamps."""
        store, wf = self.engine.store, self.workflow_id
        meta = store.meta(wf)
        check_format(wf, meta)
        failed = {str(store.definition(wf, index)["id"]): err
                  for index, err in sorted(store.errors(wf).items())}
        counts = {s: int(meta.get("c:" + s, 0)) for s in NodeState}
        return WorkflowStatus(
            workflow_id=wf, state=WorkflowState(meta["state"]), total=int(meta["n"]),
            counts=counts, failed=failed, created=_float(meta.get("created")),
            finished=_float(meta.get("finished")), deadline=_float(meta.get("deadline")),
            reason=str(meta.get("reason") or ""))

    def wait(self, timeout: float | None = None, interval: float = 0.05) -> Any:
        """Block until the workflow finishes; return its result or raise why it did not."""
        give_up = None if timeout is None else time.monotonic() + timeout
        delay = interval
        while True:
            state = WorkflowState(self.engine.store.meta(self.workflow_id)["state"])
            if state.finished:
                break
            if give_up is not None and time.monotonic() >= give_up:
                raise WorkflowTimeoutError(
                    f"workflow {self.workflow_id} still {state} after {timeout} s")
            self._sleep(delay)
            delay = min(delay * 1.5, 0.25)
        status = self.status()
        if status.state == WorkflowState.FAILURE:
            raise WorkflowFailedError(self.workflow_id, status.failed, status.reason or None)
        if status.state == WorkflowState.CANCELLED:
            raise WorkflowCancelledError(f"workflow {self.workflow_id} was cancelled")
        return self.result()

    def result(self) -> Any:
        """The workflow's result: what Celery's canvas .get() would return for it."""
        meta = self.engine.store.meta(self.workflow_id)
        raw = meta.get("result")
        if not raw:
            return None
        expr = json.loads(raw)
        return evaluate(expr, self._results_by_id(expr))

    def _results_by_id(self, expr: dict[str, Any]) -> dict[Any, Any]:
        store, wf = self.engine.store, self.workflow_id
        ids = expr_nodes(expr)
        indexes = store.indexes_of(wf, ids)
        by_index = store.results(wf, indexes)
        return {node_id: by_index[i] for node_id, i in zip(ids, indexes, strict=True)}

    def node(self, node_id: str) -> dict[str, Any]:
        """State, attempt, result and error of one node."""
        store = self.engine.store
        return store.node(self.workflow_id, store.index_of(self.workflow_id, node_id))

    def node_result(self, node_id: str) -> Any:
        """The result of one node (None until it succeeded, or when skipped)."""
        return self.node(node_id)["result"]

    def events(self, start: int = 0) -> list[dict[str, Any]]:
        """The event log, node indexes replaced by node ids."""
        store, wf = self.engine.store, self.workflow_id
        out = store.events(wf, start)
        needed = {e["node"] for e in out if "node" in e}
        names = {i: str(store.definition(wf, int(i))["id"]) for i in needed}
        return [{**e, "node": names[e["node"]]} if "node" in e else e for e in out]

    def specs(self) -> list[NodeSpec]:
        """The stored definition as NodeSpecs (for plan and export)."""
        defs = self.engine.store.definitions(self.workflow_id)
        ids = [str(d["id"]) for d in defs]
        return [NodeSpec(id=str(d["id"]), task=str(d["task"]),
                         dependencies=tuple(ids[i] for i in d.get("deps", ()))) for d in defs]

    def plan(self) -> list[list[str]]:
        """The waves of the stored definition."""
        return waves(self.specs())

    def pause(self) -> None:
        """Stop dispatching new nodes; running ones finish."""
        self.engine.pause(self.workflow_id)

    def resume(self) -> None:
        """Dispatch again after pause."""
        self.engine.resume(self.workflow_id)

    def cancel(self) -> None:
        """Revoke what runs and end the workflow CANCELLED."""
        self.engine.cancel(self.workflow_id)

    def retry(self) -> None:
        """Re-run the failed nodes and go on."""
        self.engine.retry(self.workflow_id)

    def skip(self, node_id: str) -> None:
        """Skip a pending or failed node; its children receive None."""
        self.engine.skip(self.workflow_id, node_id)


def _float(value: Any) -> float | None:
    return float(value) if value not in (None, "") else None
