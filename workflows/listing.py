"""`cephmaint list`: one row per maintenance, from its plan, state and progress notes (pure).

A maintenance is queued (waiting for its cluster's lease), running, waiting (a step holds
for something outside the maintenance: a window, a technician, the cluster's health, a
hold on client impact or fullness), paused, failed, cancelled or done. What a running
step waits for comes from the progress its task notes in the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ceph_tasks.names import Hold, TaskName
from dyrygent.handle import WorkflowStatus
from dyrygent.states import NodeState, WorkflowState
from workflows.errors import WorkflowsError


class Listed(StrEnum):
    """A maintenance's state as the list shows it."""

    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DONE = "done"


class AgeError(WorkflowsError):
    """An age (7d, 12h) that cannot be read."""


@dataclass(frozen=True)
class Running:
    """A step under way: its title and the latest progress its task noted."""

    title: str
    progress: Mapping[str, Any]
    #: Its task's name and the host it works on, from the plan.
    task: str = ""
    host: str = ""


@dataclass(frozen=True)
class Held:
    """A step holding for something outside the maintenance: why, on which host, since when."""

    kind: Hold
    host: str
    #: When the hold began, Unix seconds, where the step says.
    since: float | None = None


@dataclass(frozen=True)
class Row:
    """One maintenance in the list."""

    reference: str
    cluster: str
    kind: str
    hosts: tuple[str, ...]
    state: Listed
    #: The steps under way (or the one that failed), by title.
    step: str
    #: What the maintenance waits for, or why it failed; empty when nothing.
    detail: str
    #: When it started (queued: when it was queued), Unix seconds.
    since: float | None
    by: str
    done: int
    total: int
    #: The holds of the steps under way.
    holds: tuple[Held, ...] = ()
    #: Object copies and bytes moved so far ({"objects": n, "bytes": n}), where noted.
    moved: Mapping[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "hosts": list(self.hosts), "state": str(self.state),
                "holds": [{**asdict(h), "kind": str(h.kind)} for h in self.holds],
                "moved": None if self.moved is None else dict(self.moved)}


_STATES = {WorkflowState.PAUSED: Listed.PAUSED, WorkflowState.FAILURE: Listed.FAILED,
           WorkflowState.CANCELLED: Listed.CANCELLED, WorkflowState.SUCCESS: Listed.DONE}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    """Seconds in an age such as 90s, 30m, 12h, 7d or 2w."""
    found = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text)
    if found is None:
        raise AgeError(f"{text!r} is not an age: give a number and a unit of s, m, h, d or "
                       "w (7d, 12h)")
    return int(found[1]) * _UNITS[found[2]]


def waits_for(progress: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether a step's progress says it waits on something outside it, and what it says.

    Each task notes its own form: a hold's and a window's `status`, a technician's or a
    removal's `waiting_for`, a health wait's `healthy` and `reasons`, a drain's PGs moving.
    """
    status = str(progress.get("status", ""))
    if status.startswith("holding") or "opens" in progress:
        return True, status
    if "waiting_for" in progress:
        return True, str(progress["waiting_for"])
    if progress.get("healthy") is False:
        reasons = "; ".join(str(r) for r in progress.get("reasons", ())) or "not healthy"
        return True, f"health: {reasons}"
    if "moving_pgs" in progress:
        return False, (f"backfill: {progress['moving_pgs']} PGs moving (at most "
                       f"{progress.get('max_moving_pgs', '?')}), "
                       f"{progress.get('steps_left', '?')} weight steps left")
    return False, status


def hold_of(step: Running) -> Held | None:
    """What a step under way holds for, from its task and its progress; None: it works."""
    progress = step.progress
    if step.task == TaskName.WAIT_FOR_TECHNICIAN and "since" in progress:
        return Held(Hold.TECHNICIAN, step.host, _seconds(progress["since"]))
    if "hold" in progress:
        try:
            return Held(Hold(progress["hold"]), step.host)
        except ValueError:
            return None
    if "opens" in progress:
        return Held(Hold.WINDOW, step.host)
    if progress.get("healthy") is False:
        return Held(Hold.HEALTH, step.host)
    if step.task in (TaskName.WAIT_HOST_BACK, TaskName.REMOVE_NODE) and (
            "waiting_for" in progress or str(progress.get("status", "")).startswith("waiting")):
        return Held(Hold.HOST, step.host)
    return None


def _seconds(stamp: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(stamp)).timestamp()
    except ValueError:
        return None


def started_row(plan: Mapping[str, Any], status: WorkflowStatus, running: Sequence[Running],
                since: float | None, by: str, moved: Mapping[str, int] | None = None) -> Row:
    """The row of a maintenance the engine runs (or ran)."""
    done = sum(status.counts.get(s, 0) for s in (NodeState.SUCCESS, NodeState.SKIPPED))
    state = _STATES.get(status.state, Listed.RUNNING)
    titles = {s["id"]: s["title"] for s in plan.get("steps", ())}
    step, detail = ", ".join(r.title for r in running), ""
    if state == Listed.FAILED and status.failed:
        node, error = next(iter(status.failed.items()))
        step, detail = titles.get(node, node), str(error.get("message", ""))
    elif state in (Listed.RUNNING, Listed.PAUSED):
        said = [waits_for(r.progress) for r in running]
        if state == Listed.RUNNING and any(waiting for waiting, _ in said):
            state = Listed.WAITING
        detail = "; ".join(text for _, text in said if text)
    elif status.reason:
        detail = status.reason
    holds = tuple(h for r in running if state in (Listed.RUNNING, Listed.WAITING)
                  and (h := hold_of(r)) is not None)
    return Row(status.workflow_id, str(plan.get("cluster", "")), str(plan.get("kind", "")),
               tuple(plan.get("hosts", ())), state, step, detail, since, by, done,
               status.total, holds, moved)


def queued_row(cluster: str, plan: Mapping[str, Any], position: int, waiting: str | None,
               since: float | None, by: str) -> Row:
    """The row of a maintenance waiting in its cluster's queue."""
    detail = f"position {position} in the queue" + (f": {waiting}" if waiting else "")
    return Row(str(plan["reference"]), cluster, str(plan.get("kind", "")),
               tuple(plan.get("hosts", ())), Listed.QUEUED, "", detail, since, by, 0,
               len(plan.get("steps", ())))


def select(rows: Iterable[Row], states: Iterable[Listed] = (), since: float | None = None
           ) -> list[Row]:
    """The rows in any of states (all when none given), started at or after since, oldest
    first (queued ones last, in their order)."""
    wanted = set(states)
    chosen = [r for r in rows if (not wanted or r.state in wanted)
              and (since is None or r.since is None or r.since >= since)]
    return sorted(chosen, key=lambda r: (r.state == Listed.QUEUED, r.since or 0.0))
