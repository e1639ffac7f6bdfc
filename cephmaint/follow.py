"""How a maintenance reads on a terminal: one view for `status`, `status -f`, `run -f`, demo.

A snapshot (the workflow's state, its steps with their states, the latest progress of the
running ones, the recent events) is read from the engine and the ledger, then rendered
with rich: a live table on a terminal, one line per step change when the output is a
file or a pipe (logs, CI, tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from ceph_tasks.errors import LedgerUnavailable
from ceph_tasks.ledger import Ledger
from ceph_tasks.tasks.base import progress_key
from dyrygent.errors import StoreUnavailable
from dyrygent.handle import WorkflowHandle, WorkflowStatus
from dyrygent.processor import task_id
from dyrygent.states import NodeState, WorkflowState
from workflows.guardian import finalised_key, finaliser_task_key, generation_key
from workflows.plan import Phase

BAR_WIDTH = 30
#: Events shown under the steps.
RECENT_EVENTS = 8
_MARKS = {
    NodeState.PENDING: " ", NodeState.READY: ".", NodeState.DISPATCHED: ".",
    NodeState.RUNNING: ">", NodeState.SUCCESS: "x", NodeState.FAILURE: "!",
    NodeState.SKIPPED: "-", NodeState.CANCELLED: "~",
}
_STYLES = {NodeState.RUNNING: "bold yellow", NodeState.SUCCESS: "green",
           NodeState.FAILURE: "bold red", NodeState.CANCELLED: "magenta"}
#: Step changes worth a line when the output is not a terminal.
_TOLD = (NodeState.RUNNING, NodeState.SUCCESS, NodeState.FAILURE, NodeState.SKIPPED)


@dataclass(frozen=True)
class Step:
    """A step as the view shows it."""

    id: str
    title: str
    task: str
    state: NodeState
    progress: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """Everything the view shows of a workflow at one moment."""

    status: WorkflowStatus
    steps: tuple[Step, ...]
    events: tuple[str, ...] = ()
    #: After a failure or a cancel: what the guardian undoes, done or under way.
    undoing: tuple[Step, ...] = ()

    @property
    def done(self) -> int:
        """Steps finished (succeeded or skipped)."""
        return sum(self.status.counts.get(s, 0) for s in (NodeState.SUCCESS, NodeState.SKIPPED))

    def step(self, step_id: str) -> Step:
        """One step by id."""
        return next(s for s in self.steps if s.id == step_id)


def read_snapshot(handle: WorkflowHandle, ledger: Ledger,
                  plan: Mapping[str, Any] | None = None) -> Snapshot:
    """Read a workflow's snapshot: the engine's states, the ledger's progress notes."""
    status = handle.status()
    recorded = (plan or {}).get("steps") or [
        {"id": s.id, "title": s.id, "task": s.task} for s in handle.specs()]
    steps = []
    for spec in recorded:
        node = handle.node(spec["id"])
        state = NodeState(node["state"])
        meta: Mapping[str, Any] = {}
        if state == NodeState.RUNNING:
            # Tasks note their latest progress (weights, PGs moving, what a wait waits
            # for) in the ledger of their reference, which is the workflow id.
            index = handle.engine.store.index_of(handle.id, spec["id"])
            found = ledger.recall(handle.id, progress_key(task_id(handle.id, index,
                                                                   node["attempt"])))
            meta = found if isinstance(found, dict) else {}
        elif state == NodeState.SUCCESS and isinstance(node.get("result"), dict) \
                and "summary" in node["result"]:
            # A step that measured something says it when done (a host's work: the objects
            # recovered against those the host held).
            meta = {"status": node["result"]["summary"]}
        steps.append(Step(spec["id"], spec["title"], spec["task"], state, meta))
    titles = {s.id: s.title for s in steps}
    events = tuple(_event_line(e, titles) for e in handle.events()[-RECENT_EVENTS:])
    undoing: tuple[Step, ...] = ()
    if status.state in (WorkflowState.FAILURE, WorkflowState.CANCELLED):
        undoing = _undoing(handle.id, ledger, (plan or {}).get("finalisers") or [],
                           cancelled=status.state == WorkflowState.CANCELLED)
    return Snapshot(status, tuple(steps), events, undoing)


def _undoing(reference: str, ledger: Ledger, finalisers: list[dict[str, Any]], *,
             cancelled: bool) -> tuple[Step, ...]:
    generation = ledger.recall(reference, generation_key()) or 1
    shown = []
    for spec in finalisers:
        meta: Mapping[str, Any] = {}
        if spec.get("phase") == str(Phase.ROLLBACK) and not cancelled:
            # Failed, not cancelled: the drain is left partly done, on purpose.
            meta = {"status": f"partly drained: `cephmaint retry {reference}` resumes, "
                              f"`cephmaint cancel {reference}` rolls back; the cluster stays "
                              "leased to it meanwhile"}
            shown.append(Step(spec["id"], spec["title"], spec["task"], NodeState.PENDING, meta))
            continue
        if ledger.recall(reference, finalised_key(int(generation), spec["id"])) is not None:
            state = NodeState.SUCCESS
        else:
            sent = ledger.recall(reference, finaliser_task_key(int(generation), spec["id"]))
            state = NodeState.RUNNING if sent else NodeState.PENDING
            found = ledger.recall(reference, progress_key(str(sent))) if sent else None
            meta = found if isinstance(found, dict) else {}
        shown.append(Step(spec["id"], spec["title"], spec["task"], state, meta))
    return tuple(shown)


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """A fixed-width bar with the count, e.g. [#######.......] 5/10."""
    filled = 0 if total == 0 else round(width * done / total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def render(snapshot: Snapshot) -> RenderableType:
    """The whole view: state and bar, each step with its state and progress, events."""
    status = snapshot.status
    header = Text(f"workflow {status.workflow_id}: ")
    header.append(str(status.state), style=_state_style(status.state))
    header.append(f"  {progress_bar(snapshot.done, status.total)}")
    parts: list[RenderableType] = [header]
    if status.reason:
        parts.append(Text(f"  reason: {status.reason}"))
    for step in snapshot.steps:
        parts += _step_lines(step)
    if snapshot.undoing:
        parts.append(Text("undoing the maintenance's changes:"))
    for step in snapshot.undoing:
        parts += _step_lines(step)
    for node, error in status.failed.items():
        parts.append(Text(f"  failed: {node}: {error.get('type', 'error')}: "
                          f"{error.get('message', '')}", style="red"))
    if snapshot.events:
        parts.append(Text("recent events:"))
        parts += [Text(f"  {line}", style="dim") for line in snapshot.events]
    return Group(*parts)


def _step_lines(step: Step) -> list[Text]:
    line = Text(f"  [{_MARKS[step.state]}] {step.title}  ")
    line.append(f"({step.state.lower()})", style=_STYLES.get(step.state, ""))
    if not step.progress:
        return [line]
    return [line, Text(f"        {_one_line(step.progress)}", style="dim")]


def show(snapshot: Snapshot, console: Console) -> None:
    """Print the view once."""
    console.print(render(snapshot), soft_wrap=True)


def follow(read: Callable[[], Snapshot], console: Console, *, interval: float = 2.0,
           timeout: float | None = None,
           on_snapshot: Callable[[Snapshot], None] | None = None,
           sleep: Callable[[float], None] = time.sleep) -> Snapshot:
    """Show a workflow until it finishes (or timeout passes); its last snapshot.

    On a terminal the view is redrawn in place; otherwise each step's change is a line.
    on_snapshot sees every snapshot (the demo confirms the technician's step from it).
    """
    give_up = None if timeout is None else time.monotonic() + timeout
    told: dict[str, NodeState] = {}
    snapshot = read()
    with Live(render(snapshot), console=console, auto_refresh=False,
              transient=False) if console.is_terminal else _Lines() as live:
        while True:
            if on_snapshot is not None:
                on_snapshot(snapshot)
            if isinstance(live, Live):
                live.update(render(snapshot), refresh=True)
            else:
                _tell_changes(snapshot, told, console)
            if snapshot.status.state.finished:
                break
            if give_up is not None and time.monotonic() > give_up:
                break
            sleep(interval)
            snapshot = _read_through_outages(read, console, interval, sleep)
    if not console.is_terminal:
        show(snapshot, console)
    return snapshot


#: The longest pause between two tries to reach a Redis that went away.
OUTAGE_BACKOFF_MAX = 30.0


def _read_through_outages(read: Callable[[], Snapshot], console: Console, interval: float,
                          sleep: Callable[[float], None]) -> Snapshot:
    """The next snapshot, however long the state Redis is away (a restart, a failover).

    The workflow goes on without us meanwhile: each failed try is told with its cause,
    and the pause between tries doubles up to OUTAGE_BACKOFF_MAX.
    """
    delay = max(interval, 1.0)
    while True:
        try:
            return read()
        except (StoreUnavailable, LedgerUnavailable) as e:
            console.print(Text(f"the workflow state cannot be read ({e}); trying again in "
                               f"{delay:g} s"), soft_wrap=True)
            sleep(delay)
            delay = min(delay * 2, OUTAGE_BACKOFF_MAX)


def _tell_changes(snapshot: Snapshot, told: dict[str, NodeState], console: Console) -> None:
    for step in snapshot.steps:
        if step.state in _TOLD and told.get(step.id) != step.state:
            told[step.id] = step.state
            console.print(Text(f"{progress_bar(snapshot.done, snapshot.status.total, 20)}  "
                               f"{step.state.lower():<8} {step.title}"), soft_wrap=True)


class _Lines:
    """The stand-in for Live when the output is not a terminal."""

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def _state_style(state: WorkflowState) -> str:
    return {WorkflowState.SUCCESS: "bold green", WorkflowState.FAILURE: "bold red",
            WorkflowState.CANCELLED: "bold magenta"}.get(state, "bold yellow")


def _event_line(event: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    when = datetime.fromtimestamp(float(event.get("t", 0)), UTC).strftime("%H:%M:%S")
    if event.get("e") == "workflow":
        return f"{when}  workflow -> {event.get('state')}"
    if "node" in event:
        node = str(event["node"])
        title = titles.get(node, node)
        if event.get("state"):
            return f"{when}  {title} -> {event['state']}"
        return f"{when}  {title}: {event.get('e')} {event.get('reason', '')}".rstrip()
    return f"{when}  {_one_line(event)}"


def _one_line(meta: Mapping[str, Any]) -> str:
    # "status" is a sentence for people ("waiting for window: opens Tue 22:00 UTC"): first.
    said = [str(meta["status"])] if "status" in meta else []
    return ", ".join(said + [f"{k}={v}" for k, v in meta.items() if k not in ("t", "status")])
