"""Workflow and node states."""

from __future__ import annotations

from enum import StrEnum


class WorkflowState(StrEnum):
    """Lifecycle of a whole workflow."""

    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        """Tell whether nothing more will happen without an operator."""
        return self in _FINISHED_WF


class NodeState(StrEnum):
    """Lifecycle of one node (one task) of a workflow."""

    PENDING = "PENDING"  # waiting for dependencies
    READY = "READY"  # dependencies met, queued for dispatch
    DISPATCHED = "DISPATCHED"  # claimed and sent to the broker
    RUNNING = "RUNNING"  # a worker started it (retries keep it here)
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"

    @property
    def done(self) -> bool:
        """Tell whether children may rely on this node (it succeeded or was skipped)."""
        return self in (NodeState.SUCCESS, NodeState.SKIPPED)

    @property
    def active(self) -> bool:
        """Tell whether the node holds a concurrency slot."""
        return self in (NodeState.DISPATCHED, NodeState.RUNNING)


_FINISHED_WF = frozenset({WorkflowState.SUCCESS, WorkflowState.FAILURE, WorkflowState.CANCELLED})
