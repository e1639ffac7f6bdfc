"""Waiting for a dyrygent workflow in tests: a step reaching a state, the workflow ending."""

from __future__ import annotations

from dyrygent.handle import WorkflowHandle
from dyrygent.states import NodeState, WorkflowState
from tests.support.poll import poll


def wait_for_node(handle: WorkflowHandle, node: str, state: NodeState,
                  timeout: float = 120) -> None:
    """Poll until a step reaches a state; fail at once if the workflow ends first."""
    poll(lambda: handle.node(node)["state"] == state, timeout=timeout, interval=0.2,
         give_up=lambda: handle.status().state.finished,
         what=lambda _: (f"step {node} {state}: step is {handle.node(node)['state']}, "
                         f"workflow {handle.status().to_dict()}"))


def wait_finished(handle: WorkflowHandle, timeout: float) -> WorkflowState:
    """Poll until the workflow ends (any way); its final state."""
    return poll(lambda: state if (state := handle.status().state).finished else None,
                timeout=timeout, interval=0.5,
                what=lambda _: f"the workflow to end: {handle.status().to_dict()}")
