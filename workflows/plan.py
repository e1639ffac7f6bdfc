"""A maintenance plan: the runbook of a workflow, readable before anything runs (pure).

A plan is a plain value: steps naming their tasks and arguments, in order, with what they
touch. workflows.submit turns it into a dyrygent workflow; nothing here knows the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ceph_tasks.decisions.capacity import CapacityProjection
from ceph_tasks.decisions.restoration import Kind
from ceph_tasks.names import TaskName
from workflows.errors import PlanError
from workflows.impact import PoolImpact, human_size


class Phase(StrEnum):
    """Where a step sits in the runbook; finalisers run when the workflow fails or stops."""

    GUARD = "guard"
    PREPARE = "prepare"
    MOVE = "move data"
    REMOVE = "remove"
    HARDWARE = "hardware"
    ADD = "add"
    RESTORE = "restore"
    #: After the restore: checks of the new hardware that change nothing (a deep scrub).
    VERIFY = "verify"
    FINALISE = "finalise"
    #: A finaliser run when the workflow is cancelled, not when it fails: a failed drain
    #: stays partly drained, for a retry to resume or a cancel to roll back.
    ROLLBACK = "roll back on cancel"


@dataclass(frozen=True)
class Step:
    """One task of the runbook: what it does, to which hosts and OSDs, after which steps."""

    id: str
    title: str
    task: TaskName
    kwargs: dict[str, Any]
    phase: Phase
    after: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    osds: tuple[int, ...] = ()
    timeout: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "task": str(self.task), "kwargs": self.kwargs,
                "phase": str(self.phase), "after": list(self.after), "hosts": list(self.hosts),
                "osds": list(self.osds), "timeout": self.timeout}


@dataclass
class MaintenancePlan:
    """The steps of one maintenance, in order, with what they touch; builds its workflow."""

    kind: str
    cluster: str
    reference: str
    steps: list[Step] = field(default_factory=list)
    finalisers: list[Step] = field(default_factory=list)
    hosts: tuple[str, ...] = ()
    osds: tuple[int, ...] = ()
    data_to_move_bytes: int = 0
    #: Every pool the maintenance touches: its failure domains before and after, what moves.
    pools: tuple[PoolImpact, ...] = ()
    guards: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: What the operator should know before starting: the plan runs, but maybe not as hoped.
    warnings: tuple[str, ...] = ()
    #: Every OSD's fullness now and projected after the drain; None when not projected.
    capacity: CapacityProjection | None = None
    #: OSDs already failed (down) when planned: their being down and their degraded copies
    #: do not hold the start back, the maintenance repairs them.
    failed: tuple[int, ...] = ()
    #: The per-OSD recovery settings applied before data moves, by group of OSDs; None
    #: when the throttles ask for none (the cluster's own settings stay).
    recovery: tuple[str, ...] | None = None

    def add(self, step: Step) -> str:
        """Append a step (its dependencies must already be in the plan); return its id."""
        known = {s.id for s in self.steps}
        if step.id in known:
            raise PlanError(f"step {step.id} is already in the plan")
        unknown = [a for a in step.after if a not in known]
        if unknown:
            raise PlanError(f"step {step.id} runs after unknown step(s) {unknown}")
        self.steps.append(step)
        return step.id

    def last(self) -> tuple[str, ...]:
        """The id of the last step, as a dependency of the next one."""
        return (self.steps[-1].id,) if self.steps else ()

    def waves(self) -> list[list[str]]:
        """The waves in which the steps would run."""
        return _waves(self.steps) if self.steps else []

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the whole plan."""
        return {
            "kind": self.kind, "cluster": self.cluster, "reference": self.reference,
            "hosts": list(self.hosts), "osds": list(self.osds), "failed": list(self.failed),
            "data_to_move_bytes": self.data_to_move_bytes,
            "pools": [p.to_dict() for p in self.pools], "guards": list(self.guards),
            "notes": list(self.notes), "warnings": list(self.warnings), "waves": self.waves(),
            "capacity": self.capacity.to_dict() if self.capacity is not None else None,
            "steps": [s.to_dict() for s in self.steps],
            "finalisers": [s.to_dict() for s in self.finalisers],
        }

    def to_json(self) -> str:
        """The plan as JSON."""
        return json.dumps(self.to_dict(), indent=2)

    def render(self) -> str:
        """The plan as a readable runbook."""
        lines = [f"{self.kind} on cluster {self.cluster} (reference {self.reference})",
                 f"  hosts: {', '.join(self.hosts) or 'none'}",
                 f"  OSDs:  {', '.join(f'osd.{i}' for i in self.osds) or 'none'}"
                 + (f" (failed: {', '.join(f'osd.{i}' for i in self.failed)})"
                    if self.failed else ""),
                 f"  data to move: {human_size(self.data_to_move_bytes)}"]
        lines += [f"  {p.describe()}" for p in self.pools]
        if self.capacity is not None:
            lines += [f"  {line}" for line in self.capacity.describe()]
        lines += [f"  guard: {g}" for g in self.guards]
        lines += [f"  recovery: {line}" for line in self.recovery or ()]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  WARNING: {w}" for w in self.warnings]
        lines.append("steps:")
        titles = {s.id: s for s in self.steps}
        for number, wave in enumerate(self.waves(), 1):
            for step_id in wave:
                step = titles[step_id]
                lines.append(f"  {number:>2}. [{step.phase}] {step.title}")
        if self.finalisers:
            lines.append("if it fails or is cancelled:")
            lines += [f"   - {s.title}" + (" (when cancelled)" if s.phase == Phase.ROLLBACK
                                            else "") for s in self.finalisers]
        return "\n".join(lines)


#: The kind of change each setup step records, put back by a restore step of that kind.
_KIND_OF_SETUP = {TaskName.SET_FLAGS: Kind.FLAGS, TaskName.SET_DOWNTIME: Kind.DOWNTIMES,
                  TaskName.PAUSE_MOVERS: Kind.MOVERS,
                  TaskName.APPLY_RECOVERY_SETTINGS: Kind.RECOVERY}


def setup_to_redo(steps: Sequence[Mapping[str, Any]], succeeded: Callable[[str], bool]
                  ) -> list[Mapping[str, Any]]:
    """The recorded setup steps a retry runs again: succeeded, and not undone by the plan.

    The finalisers of a failed workflow undid its flags and downtimes; the steps left to
    run expect them back. A setup the plan itself undid before it failed (scrub flags
    lifted for the technicians' wait) stays undone.
    """
    redo = []
    for index, step in enumerate(steps):
        kind = _KIND_OF_SETUP.get(step["task"])
        if step["phase"] != str(Phase.PREPARE) or not succeeded(step["id"]):
            continue
        undone = kind is not None and any(
            _restores(later, kind) and succeeded(later["id"]) for later in steps[index + 1:])
        if not undone:
            redo.append(step)
    return redo


def _restores(step: Mapping[str, Any], kind: Kind) -> bool:
    kinds = step["kwargs"].get("kinds")
    return step["task"] == str(TaskName.RESTORE) and (kinds is None or str(kind) in kinds)


def _waves(steps: Sequence[Step]) -> list[list[str]]:
    wave_of: dict[str, int] = {}
    for step in steps:
        wave_of[step.id] = 1 + max((wave_of[a] for a in step.after), default=-1)
    waves: list[list[str]] = [[] for _ in range(max(wave_of.values()) + 1)]
    for step in steps:
        waves[wave_of[step.id]].append(step.id)
    return waves

