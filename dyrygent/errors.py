"""The one exception tree of dyrygent; every error it raises derives from DyrygentError."""

from __future__ import annotations

from typing import Any


class DyrygentError(Exception):
    """Root of every dyrygent error."""


class WorkflowDefinitionError(DyrygentError):
    """The workflow cannot be built as described."""


class DuplicateNodeError(WorkflowDefinitionError):
    """Two nodes share one id."""


class UnknownDependencyError(WorkflowDefinitionError):
    """A node depends on a node that does not exist."""


class CycleError(WorkflowDefinitionError):
    """The dependencies form a cycle."""


class UnsupportedCanvasError(WorkflowDefinitionError):
    """A canvas element has a type dyrygent cannot convert."""


class InvalidIdError(WorkflowDefinitionError):
    """A workflow or node id has characters dyrygent cannot carry."""


class StoreError(DyrygentError):
    """The state store failed or holds inconsistent data."""


class StoreUnavailable(StoreError):
    """The state store cannot be reached (Redis down, refused or timing out)."""


class DispatchError(DyrygentError):
    """The broker refused or lost a message dyrygent tried to publish."""


class UnknownWorkflowError(DyrygentError):
    """No workflow with this id exists in the state store."""


class WorkflowFormatError(DyrygentError):
    """The workflow was stored in a format this code does not read."""


class UnknownNodeError(DyrygentError):
    """The workflow has no node with this id."""


class InvalidTransitionError(DyrygentError):
    """The requested control operation does not fit the current state."""


class NotConfiguredError(DyrygentError):
    """No workflow processor is registered for the Celery app."""


class WorkflowTimeoutError(DyrygentError):
    """wait() gave up before the workflow finished."""


class NodeTimeoutError(DyrygentError):
    """A node ran longer than its timeout."""


class WorkflowFailedError(DyrygentError):
    """The workflow ended FAILURE; carries the failed nodes and their errors."""

    def __init__(self, workflow_id: str, failed: dict[str, Any], reason: str | None = None):
        self.workflow_id = workflow_id
        self.failed = failed
        self.reason = reason
        detail = "; ".join(f"{node}: {err.get('type')}: {err.get('message')}"
                           for node, err in failed.items())
        super().__init__(f"workflow {workflow_id} failed: {reason or detail or 'unknown'}")


class WorkflowCancelledError(DyrygentError):
    """The workflow was cancelled."""
