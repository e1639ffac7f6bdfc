"""The exception tree of workflows."""

from __future__ import annotations


class WorkflowsError(Exception):
    """Root of every error raised by workflows."""


class PlanRefused(WorkflowsError):
    """A maintenance cannot be planned safely on the cluster as it is; nothing was changed."""
