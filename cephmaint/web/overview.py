"""One maintenance as its page shows it: the row `cephmaint list` gives it, its steps with
their states, times, waits and errors (as `cephmaint status` reads them), its recent
events, what is undone after a failure or a cancel, and which controls apply now.

`read_overview` does the reading (blocking I/O); the rest is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ceph_tasks.decisions.data_moved import MOVED_KEY
from cephmaint.follow import Snapshot, Step, read_snapshot
from cephmaint.web.backend import Maintenances
from dyrygent.states import NodeState, WorkflowState
from workflows.listing import Row, Running, queued_row, started_row, waits_for
from workflows.starter import WAITING_KEY

#: Node states a step may be skipped from (dyrygent's rule).
SKIPPABLE = frozenset({NodeState.PENDING, NodeState.READY, NodeState.FAILURE})
#: Workflow states in which a step may be skipped.
_SKIP_IN = frozenset({WorkflowState.RUNNING, WorkflowState.PAUSED, WorkflowState.FAILURE})
_ENDED = frozenset({NodeState.SUCCESS, NodeState.FAILURE, NodeState.SKIPPED,
                    NodeState.CANCELLED})


@dataclass(frozen=True)
class StepLine:
    """One step of the maintenance as the page lists it."""

    id: str
    title: str
    task: str
    state: NodeState
    after: tuple[str, ...] = ()
    #: When it last started running and when it ended, Unix seconds.
    started: float | None = None
    ended: float | None = None
    #: What it waits for or does now, from its task's progress; waiting: outside the work.
    doing: str = ""
    waiting: bool = False
    error: str = ""
    skippable: bool = False

    @property
    def css(self) -> str:
        """The state's class name in the page's style sheet."""
        return self.state.lower()


@dataclass(frozen=True)
class Overview:
    """Everything the page shows of one maintenance at one moment."""

    row: Row
    steps: tuple[StepLine, ...]
    events: tuple[str, ...] = ()
    #: After a failure or a cancel: what the guardian undoes, done or under way.
    undoing: tuple[StepLine, ...] = ()
    #: The engine's reason for ending it (a deadline), if any.
    reason: str = ""
    #: The controls that fit its state: pause, resume, cancel, retry.
    controls: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        """The maintenance's reference."""
        return self.row.reference


def controls_for(state: WorkflowState | None) -> tuple[str, ...]:
    """The controls that fit a workflow's state (None: still queued), in page order."""
    if state is None:
        return ("cancel",)
    return {WorkflowState.RUNNING: ("pause", "cancel"),
            WorkflowState.PAUSED: ("resume", "cancel"),
            WorkflowState.FAILURE: ("retry", "cancel")}.get(state, ())


def step_times(events: Iterable[Mapping[str, Any]]) -> dict[str, tuple[float | None,
                                                                       float | None]]:
    """Each step's last start (RUNNING) and its end after it, from the event log."""
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    for event in events:
        node, state = event.get("node"), event.get("state")
        if node is None or not state:
            continue
        at = float(event.get("t", 0))
        if state == NodeState.RUNNING:
            started[str(node)] = at
            ended.pop(str(node), None)
        elif state in _ENDED:
            ended[str(node)] = at
        else:
            # Back to READY or DISPATCHED (a retry): it has not ended.
            ended.pop(str(node), None)
    return {node: (started.get(node), ended.get(node)) for node in {*started, *ended}}


def step_lines(steps: Sequence[Step], *, after: Mapping[str, Sequence[str]],
               times: Mapping[str, tuple[float | None, float | None]],
               failed: Mapping[str, Mapping[str, Any]],
               workflow: WorkflowState | None) -> tuple[StepLine, ...]:
    """The steps of a snapshot as the page lists them."""
    lines = []
    for step in steps:
        waiting, doing = waits_for(step.progress) if step.progress else (False, "")
        error = failed.get(step.id)
        started, ended = times.get(step.id, (None, None))
        lines.append(StepLine(
            step.id, step.title, step.task, step.state, tuple(after.get(step.id, ())),
            started, ended, doing, waiting,
            f"{error.get('type', 'error')}: {error.get('message', '')}" if error else "",
            workflow in _SKIP_IN and step.state in SKIPPABLE))
    return tuple(lines)


def started_overview(snapshot: Snapshot, plan: Mapping[str, Any], *, since: float | None,
                     by: str, moved: Mapping[str, int] | None,
                     events: Sequence[Mapping[str, Any]],
                     after: Mapping[str, Sequence[str]]) -> Overview:
    """The overview of a maintenance the engine runs (or ran)."""
    status = snapshot.status
    hosts = {str(s["id"]): str(s.get("kwargs", {}).get("host") or "")
             for s in plan.get("steps", ())}
    running = [Running(s.title, s.progress, s.task, hosts.get(s.id, ""))
               for s in snapshot.steps if s.state == NodeState.RUNNING]
    row = started_row(plan, status, running, since, by, moved)
    times = step_times(events)
    steps = step_lines(snapshot.steps, after=after, times=times, failed=status.failed,
                       workflow=status.state)
    undoing = step_lines(snapshot.undoing, after={}, times={}, failed={}, workflow=None)
    return Overview(row, steps, snapshot.events, undoing, status.reason,
                    controls_for(status.state))


def queued_overview(cluster: str, plan: Mapping[str, Any], position: int,
                    waiting: str | None, since: float | None, by: str) -> Overview:
    """The overview of a maintenance waiting for its cluster: its steps, none begun."""
    row = queued_row(cluster, plan, position, waiting, since, by)
    steps = tuple(StepLine(str(s["id"]), str(s.get("title", s["id"])), str(s.get("task", "")),
                           NodeState.PENDING, tuple(s.get("after", ())))
                  for s in plan.get("steps", ()))
    return Overview(row, steps, controls=controls_for(None))


def read_overview(maintenances: Maintenances, reference: str) -> Overview | None:
    """What the page shows of a maintenance now; None when it is neither queued nor known
    to the state store (a mistyped reference, or one whose state expired)."""
    queued = maintenances.queued(reference)
    if queued is not None:
        cluster, position, entry = queued
        waiting = (maintenances.ledger.recall(reference, WAITING_KEY) if position == 1
                   else None)
        return queued_overview(cluster, entry.entry.get("plan") or {"reference": reference},
                               position, None if waiting is None else str(waiting),
                               entry.entry.get("queued_at"), str(entry.entry.get("by", "")))
    handle = maintenances.handle(reference)
    if handle is None:
        return None
    ledger = maintenances.ledger
    plan = maintenances.plan(reference)
    snapshot = read_snapshot(handle, ledger, plan)
    cluster = str(plan.get("cluster", ""))
    started = maintenances.started(cluster, reference) if cluster else None
    moved = ledger.recall(reference, MOVED_KEY)
    if plan.get("steps"):
        after = {str(s["id"]): tuple(s.get("after", ())) for s in plan["steps"]}
    else:
        after = {s.id: s.dependencies for s in handle.specs()}
    return started_overview(
        snapshot, plan, since=None if started is None else started.at,
        by="" if started is None else started.by,
        moved=moved if isinstance(moved, dict) else None, events=handle.events(),
        after=after)

