"""Per-app hooks: callbacks for workflow state changes, node state changes and finish."""

from __future__ import annotations

import logging
from collections.abc import Callable

from dyrygent.states import NodeState, WorkflowState

logger = logging.getLogger(__name__)

WorkflowHook = Callable[[str, WorkflowState], None]
NodeHook = Callable[[str, str, NodeState], None]


class Hooks:
    """Callbacks of one workflow processor; a failing hook is logged, never fatal."""

    def __init__(self) -> None:
        self.workflow_state: list[WorkflowHook] = []
        self.node_state: list[NodeHook] = []
        self.finish: list[WorkflowHook] = []

    def on_workflow_state(self, fn: WorkflowHook) -> WorkflowHook:
        """Register fn(workflow_id, state); usable as a decorator."""
        self.workflow_state.append(fn)
        return fn

    def on_node_state(self, fn: NodeHook) -> NodeHook:
        """Register fn(workflow_id, node_id, state); usable as a decorator."""
        self.node_state.append(fn)
        return fn

    def on_finish(self, fn: WorkflowHook) -> WorkflowHook:
        """Register fn(workflow_id, final_state); usable as a decorator."""
        self.finish.append(fn)
        return fn

    def workflow_changed(self, workflow_id: str, state: WorkflowState) -> None:
        """Call the workflow-state hooks, and the finish hooks for final states."""
        for fn in self.workflow_state:
            _call(fn, workflow_id, state)
        if state.finished:
            for fn in self.finish:
                _call(fn, workflow_id, state)

    def node_changed(self, workflow_id: str, node_id: str, state: NodeState) -> None:
        """Call the node-state hooks."""
        for fn in self.node_state:
            _call(fn, workflow_id, node_id, state)


def _call(fn: Callable[..., None], *args: object) -> None:
    # A hook is the user's code: it must not break the state machine that called it.
    try:
        fn(*args)
    except Exception:
        logger.exception("dyrygent hook %r failed", fn)
