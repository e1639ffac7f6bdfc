"""How a running maintenance reads on a terminal: a progress bar, its steps, its events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dyrygent.handle import WorkflowStatus
from dyrygent.states import NodeState

BAR_WIDTH = 30
_MARKS = {
    NodeState.PENDING: " ", NodeState.READY: ".", NodeState.DISPATCHED: ".",
    NodeState.RUNNING: ">", NodeState.SUCCESS: "x", NodeState.FAILURE: "!",
    NodeState.SKIPPED: "-", NodeState.CANCELLED: "~",
}


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """A fixed-width bar with the count, e.g. [#######.......] 5/10."""
    filled = 0 if total == 0 else round(width * done / total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def render_status(
    status: WorkflowStatus,
    steps: Sequence[Mapping[str, Any]],
    node_states: Mapping[str, NodeState],
    progress: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The workflow's state, a bar, and each step with its state and latest progress."""
    finished = sum(status.counts.get(s, 0) for s in (NodeState.SUCCESS, NodeState.SKIPPED))
    lines = [f"workflow {status.workflow_id}: {status.state}  "
             f"{progress_bar(finished, status.total)}"]
    if status.reason:
        lines.append(f"  reason: {status.reason}")
    for step in steps:
        state = node_states.get(step["id"], NodeState.PENDING)
        lines.append(f"  [{_MARKS[state]}] {step['title']}  ({state.lower()})")
        meta = (progress or {}).get(step["id"])
        if meta and state == NodeState.RUNNING:
            lines.append(f"        {_one_line(meta)}")
    for node, error in status.failed.items():
        lines.append(f"  failed: {node}: {error.get('type', 'error')}: {error.get('message', '')}")
    return "\n".join(lines)


def render_events(events: Sequence[Mapping[str, Any]], titles: Mapping[str, str]) -> list[str]:
    """Event log lines: time, what changed, and the step's title."""
    lines = []
    for event in events:
        when = datetime.fromtimestamp(float(event.get("t", 0)), UTC).strftime("%H:%M:%S")
        if event.get("e") == "workflow":
            lines.append(f"{when}  workflow -> {event.get('state')}")
        elif "node" in event and event.get("state"):
            node = str(event["node"])
            lines.append(f"{when}  {titles.get(node, node)} -> {event['state']}")
        elif "node" in event:
            node = str(event["node"])
            lines.append(f"{when}  {titles.get(node, node)}: {event.get('e')} "
                         f"{event.get('reason', '')}".rstrip())
        else:
            lines.append(f"{when}  {_one_line(event)}")
    return lines


def _one_line(meta: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in meta.items() if k != "t")
