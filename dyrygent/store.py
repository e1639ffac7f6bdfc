"""The state store seam: the StateStore protocol and the values it returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from dyrygent.dag import CompiledNode
from dyrygent.states import NodeState, WorkflowState


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A node claimed for sending: attempt number and stored definition."""

    index: int
    attempt: int
    definition: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an atomic transition did."""

    applied: bool
    workflow_state: WorkflowState | None = None  # set when the workflow state changed
    ready: tuple[int, ...] = ()  # nodes that became READY
    claimed: tuple[Dispatch, ...] = ()  # nodes moved to DISPATCHED, to send now


@dataclass(frozen=True, slots=True)
class Active:
    """A node holding a concurrency slot."""

    index: int
    attempt: int
    since: float
    state: NodeState


class StateStore(Protocol):
    """Durable workflow state; every transition is atomic and idempotent per attempt."""

    def create(self, wf: str, nodes: Sequence[CompiledNode], meta: Mapping[str, Any],
               now: float) -> None:
        """Store a new workflow definition and its initial state."""
    def meta(self, wf: str) -> dict[str, Any]:
        """Workflow fields: state, counts (c:STATE), timestamps, limits."""
    def definitions(self, wf: str) -> list[dict[str, Any]]:
        """All node definitions by index."""
    def definition(self, wf: str, index: int) -> dict[str, Any]:
        """Definition of one node."""
    def index_of(self, wf: str, node_id: str) -> int:
        """Index of a node id."""
    def indexes_of(self, wf: str, node_ids: Sequence[str]) -> list[int]:
        """Indexes of several node ids, in one round trip."""
    def node(self, wf: str, index: int) -> dict[str, Any]:
        """State, attempt, result and error of one node."""
    def results(self, wf: str, indexes: Sequence[int]) -> dict[int, Any]:
        """Decoded results of nodes (None for skipped ones)."""
    def errors(self, wf: str) -> dict[int, dict[str, Any]]:
        """Errors of the nodes that are in FAILURE."""
    def events(self, wf: str, start: int = 0) -> list[dict[str, Any]]:
        """The append-only event log from position start."""
    def note(self, wf: str, event: Mapping[str, Any]) -> None:
        """Append an event that changes no state."""
    def claim(self, wf: str, now: float, limit: int) -> Outcome:
        """Move up to limit READY nodes to DISPATCHED, within the concurrency limit."""
    def confirm(self, wf: str, indexes: Sequence[int]) -> None:
        """Record that the claimed nodes were handed to the broker."""
    def unconfirmed(self, wf: str, before: float, now: float) -> list[Dispatch]:
        """Take claimed nodes never confirmed sent since before; they count as claimed now."""
    def redispatch(self, wf: str, before: float, now: float) -> list[Dispatch]:
        """Give nodes sent before `before` and never started a new attempt (lost messages)."""
    def hold(self, wf: str, index: int, attempt: int, now: float, seconds: float) -> bool:
        """Keep a running attempt's lease for seconds more; False when it is not current.

        The lease never shortens. RedisStore times leases on Redis's own clock, so workers
        and ticks on hosts whose clocks differ agree on when one ran out.
        """
    def expire_leases(self, wf: str, now: float) -> list[Dispatch]:
        """Give running nodes whose lease ran out a new attempt, to send (DISPATCHED)."""
    def start(self, wf: str, index: int, attempt: int, now: float, lease: float = 0.0) -> int:
        """Mark a node RUNNING: 1 first start, 2 repeated start, 0 stale delivery.

        lease: seconds the starting worker holds it from now (0: no lease), as hold()."""
    def complete(self, wf: str, index: int, attempt: int, result: str, now: float,
                 limit: int) -> Outcome:
        """Record success (result is JSON), release children and claim what is ready."""
    def fail(self, wf: str, index: int, attempt: int, error: Mapping[str, Any],
             now: float) -> Outcome:
        """Record failure; the workflow stops dispatching."""
    def active(self, wf: str) -> list[Active]:
        """Nodes holding a slot, with the time they were dispatched."""
    def overdue(self, wf: str, now: float) -> list[Active]:
        """Running nodes past their own timeout."""
    def pause(self, wf: str, now: float) -> Outcome:
        """RUNNING to PAUSED."""
    def resume(self, wf: str, now: float, limit: int) -> Outcome:
        """PAUSED to RUNNING, claiming what is ready."""
    def cancel(self, wf: str, now: float) -> list[Active]:
        """Cancel the workflow; return the nodes that were active, to revoke."""
    def abort(self, wf: str, reason: str, now: float) -> list[Active]:
        """Fail the workflow (deadline); active nodes fail; return them, to revoke."""
    def retry_failed(self, wf: str, now: float, limit: int) -> Outcome:
        """Make failed nodes READY again and resume the workflow."""
    def skip(self, wf: str, index: int, now: float, limit: int) -> Outcome:
        """Mark a not-yet-successful node SKIPPED; its children proceed."""
    def tick_turn(self, wf: str, seq: int) -> bool:
        """Tell whether seq is the current tick of the workflow."""
    def retain(self, wf: str, seconds: float | None) -> None:
        """Let a finished workflow's state expire after seconds; None keeps it for good."""
    def arm_tick(self, wf: str, now: float, seconds: float | None) -> None:
        """Expect the workflow's next tick within seconds; None when no tick follows."""
    def stalled_ticks(self, now: float, limit: int) -> list[tuple[str, int]]:
        """Workflows whose tick is overdue (its message lost), with their current seq."""
    def advance_tick(self, wf: str, seq: int) -> bool:
        """Move the tick from seq to seq + 1; False if another tick already did."""
